//! `cargo xtask apply-overlay [--check]`: merge the hand-reviewed operation semantics of
//! `spec/overlay/<service>.json` into `spec/<service>.json` as `x-codearts-retry` and
//! `x-codearts-paging`, and refresh the spec hashes in `spec/spec.lock.json`.
//!
//! The import rewrites `spec/*.json` from the official packages, which know nothing of retry
//! safety or paging; it runs this merge afterwards, so the review survives a re-import. The
//! merge needs no network and is idempotent. An operation without a marking, a marking for an
//! operation the spec lacks, or a malformed entry stops it with the list of problems.

use std::fs;
use std::path::Path;

use serde_json::{Map, Value};

/// The services whose operations must all be marked (IAM only feeds the token exchange).
pub const SERVICES: [&str; 2] = ["codeartspipeline", "codeartsbuild"];

const RETRY: &str = "x-codearts-retry";
const PAGING: &str = "x-codearts-paging";

pub fn run(args: &[String]) -> Result<(), String> {
    let mut check = false;
    for arg in args {
        match arg.as_str() {
            "--check" => check = true,
            other => {
                return Err(format!(
                    "apply-overlay: unknown argument `{other}`; usage: cargo xtask apply-overlay [--check]"
                ))
            }
        }
    }
    let root = crate::workspace_root();
    let changed = apply(&root, !check)?;
    if check && !changed.is_empty() {
        return Err(format!(
            "the spec does not carry its overlay; run `cargo xtask apply-overlay`: {}",
            changed.join(", ")
        ));
    }
    println!(
        "apply-overlay: {} spec files {}",
        SERVICES.len(),
        if changed.is_empty() {
            "up to date".to_owned()
        } else {
            format!("updated ({})", changed.join(", "))
        }
    );
    Ok(())
}

/// Merges every overlay under `root`; with `write`, saves the specs that change and their
/// hashes. Returns the spec files that differ(ed) from their merged form.
pub fn apply(root: &Path, write: bool) -> Result<Vec<String>, String> {
    let mut changed = Vec::new();
    for service in SERVICES {
        let rel = format!("spec/{service}.json");
        let spec_path = root.join(&rel);
        let text = fs::read_to_string(&spec_path)
            .map_err(|e| format!("cannot read {}: {e}", spec_path.display()))?;
        let mut spec: Value = serde_json::from_str(&text)
            .map_err(|e| format!("{} is not JSON: {e}", spec_path.display()))?;
        let overlay_path = root.join(format!("spec/overlay/{service}.json"));
        let overlay: Value = serde_json::from_str(
            &fs::read_to_string(&overlay_path)
                .map_err(|e| format!("cannot read {}: {e}", overlay_path.display()))?,
        )
        .map_err(|e| format!("{} is not JSON: {e}", overlay_path.display()))?;
        merge(&mut spec, &overlay).map_err(|e| format!("{}: {e}", overlay_path.display()))?;
        let merged = to_text(&spec)?;
        if merged != text {
            changed.push(rel.clone());
            if write {
                fs::write(&spec_path, &merged)
                    .map_err(|e| format!("cannot write {}: {e}", spec_path.display()))?;
                update_lock(root, &rel, &merged)?;
            }
        }
    }
    Ok(changed)
}

/// The same layout as the import script writes (`json.dumps(indent=2)` plus a newline).
fn to_text(value: &Value) -> Result<String, String> {
    serde_json::to_string_pretty(value)
        .map(|s| s + "\n")
        .map_err(|e| format!("cannot serialize: {e}"))
}

fn update_lock(root: &Path, rel: &str, text: &str) -> Result<(), String> {
    let lock_path = root.join("spec/spec.lock.json");
    let Ok(lock_text) = fs::read_to_string(&lock_path) else {
        // A spec copy without a lock (tests): nothing to keep in step.
        return Ok(());
    };
    let mut lock: Value = serde_json::from_str(&lock_text)
        .map_err(|e| format!("{} is not JSON: {e}", lock_path.display()))?;
    let files = lock["files"]
        .as_object_mut()
        .ok_or("spec.lock.json has no `files` object")?;
    files.insert(
        rel.to_owned(),
        Value::String(crate::import_spec::sha256_hex(text.as_bytes())),
    );
    fs::write(&lock_path, to_text(&lock)?)
        .map_err(|e| format!("cannot write {}: {e}", lock_path.display()))
}

/// Puts the overlay's marks on the spec's operations, replacing any earlier ones.
pub fn merge(spec: &mut Value, overlay: &Value) -> Result<(), String> {
    let marks = overlay["operations"]
        .as_object()
        .ok_or("the overlay has no `operations` object")?;
    let mut problems = Vec::new();
    let mut seen = Vec::new();
    let paths = spec["paths"]
        .as_object_mut()
        .ok_or("the spec has no `paths` object")?;
    for methods in paths.values_mut() {
        let Some(methods) = methods.as_object_mut() else {
            continue;
        };
        for op in methods.values_mut() {
            let Some(op) = op.as_object_mut() else {
                continue;
            };
            let name = op
                .get("operationId")
                .and_then(Value::as_str)
                .unwrap_or("?")
                .to_owned();
            op.remove(RETRY);
            op.remove(PAGING);
            let Some(mark) = marks.get(&name) else {
                problems.push(format!("operation `{name}` has no marking"));
                continue;
            };
            seen.push(name.clone());
            match check_mark(mark) {
                Ok((retry, paging)) => {
                    op.insert(RETRY.to_owned(), Value::String(retry));
                    if let Some(paging) = paging {
                        op.insert(PAGING.to_owned(), paging);
                    }
                }
                Err(e) => problems.push(format!("operation `{name}`: {e}")),
            }
        }
    }
    for name in marks.keys() {
        if !seen.contains(name) {
            problems.push(format!("`{name}` is marked but is not in the spec"));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

/// The retry marking and the paging block of one overlay entry, checked.
fn check_mark(mark: &Value) -> Result<(String, Option<Value>), String> {
    let entry = mark.as_object().ok_or("the entry is not an object")?;
    for key in entry.keys() {
        if !["retry", "paging", "note"].contains(&key.as_str()) {
            return Err(format!("unknown key `{key}`"));
        }
    }
    let retry = match entry.get("retry").and_then(Value::as_str) {
        Some(r @ ("idempotent" | "unsafe")) => r.to_owned(),
        _ => return Err("`retry` must be \"idempotent\" or \"unsafe\"".to_owned()),
    };
    let paging = match entry.get("paging") {
        None => None,
        Some(p) => Some(Value::Object(check_paging(p)?)),
    };
    Ok((retry, paging))
}

fn check_paging(paging: &Value) -> Result<Map<String, Value>, String> {
    let p = paging.as_object().ok_or("`paging` is not an object")?;
    let text = |key: &str| p.get(key).and_then(Value::as_str);
    for key in p.keys() {
        if !["style", "in", "cursor", "size", "first", "items", "total"].contains(&key.as_str()) {
            return Err(format!("paging: unknown key `{key}`"));
        }
    }
    match (text("style"), p.get("first")) {
        (Some("offset"), None) if text("size").is_some() => {}
        (Some("offset"), _) => {
            return Err("paging: the offset style needs `size` and has no `first`".to_owned())
        }
        (Some("page"), Some(first)) if first.as_i64().is_some() => {}
        (Some("page"), _) => {
            return Err("paging: the page style needs an integer `first`".to_owned())
        }
        _ => return Err("paging: `style` must be \"offset\" or \"page\"".to_owned()),
    }
    if !matches!(text("in"), Some("query" | "body")) {
        return Err("paging: `in` must be \"query\" or \"body\"".to_owned());
    }
    for key in ["cursor", "items"] {
        if text(key).is_none_or(str::is_empty) {
            return Err(format!("paging: `{key}` must name a field"));
        }
    }
    Ok(p.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec() -> Value {
        json!({"paths": {"/a": {"get": {"operationId": "list_a"}, "post": {"operationId": "make_a"}}}})
    }

    #[test]
    fn marks_are_merged_and_replaced() {
        let mut s = spec();
        let overlay = json!({"operations": {
            "list_a": {"retry": "idempotent", "paging": {"style": "page", "first": 1, "in": "query",
                "cursor": "page", "size": "page_size", "items": "result.items"}},
            "make_a": {"retry": "unsafe", "note": "creates"}
        }});
        merge(&mut s, &overlay).unwrap();
        assert_eq!(s["paths"]["/a"]["get"][RETRY], "idempotent");
        assert_eq!(s["paths"]["/a"]["get"][PAGING]["cursor"], "page");
        assert_eq!(s["paths"]["/a"]["post"][RETRY], "unsafe");
        assert!(s["paths"]["/a"]["post"].get("note").is_none());
        // Merging twice gives the same document.
        let once = s.clone();
        merge(&mut s, &overlay).unwrap();
        assert_eq!(s, once);
    }

    #[test]
    fn unmarked_unknown_and_malformed_entries_fail_loudly() {
        let err = merge(
            &mut spec(),
            &json!({"operations": {"list_a": {"retry": "idempotent"}}}),
        )
        .unwrap_err();
        assert!(err.contains("`make_a` has no marking"), "{err}");
        let err = merge(
            &mut spec(),
            &json!({"operations": {"list_a": {"retry": "idempotent"}, "make_a": {"retry": "unsafe"},
                "gone": {"retry": "unsafe"}}}),
        )
        .unwrap_err();
        assert!(
            err.contains("`gone` is marked but is not in the spec"),
            "{err}"
        );
        for bad in [
            json!({"retry": "maybe"}),
            json!({"retry": "unsafe", "extra": 1}),
            json!({"retry": "idempotent", "paging": {"style": "offset", "in": "query", "cursor": "offset", "items": "x"}}),
            json!({"retry": "idempotent", "paging": {"style": "page", "in": "query", "cursor": "page", "items": "x"}}),
            json!({"retry": "idempotent", "paging": {"style": "offset", "in": "path", "cursor": "offset", "size": "limit", "items": "x"}}),
        ] {
            let overlay = json!({"operations": {"list_a": bad, "make_a": {"retry": "unsafe"}}});
            assert!(merge(&mut spec(), &overlay).is_err(), "{overlay}");
        }
    }

    /// Every operation of both services is marked in the checked-in spec, the checked-in spec
    /// carries its overlay exactly, and the lock file has its hash.
    #[test]
    fn the_checked_in_spec_carries_every_marking() {
        let root = crate::workspace_root();
        assert_eq!(apply(&root, false).unwrap(), Vec::<String>::new());
        let lock: Value =
            serde_json::from_str(&fs::read_to_string(root.join("spec/spec.lock.json")).unwrap())
                .unwrap();
        for service in SERVICES {
            let rel = format!("spec/{service}.json");
            let text = fs::read_to_string(root.join(&rel)).unwrap();
            assert_eq!(
                lock["files"][&rel].as_str(),
                Some(crate::import_spec::sha256_hex(text.as_bytes()).as_str())
            );
            let spec: Value = serde_json::from_str(&text).unwrap();
            let mut count = 0;
            for methods in spec["paths"].as_object().unwrap().values() {
                for op in methods.as_object().unwrap().values() {
                    count += 1;
                    let mark = op[RETRY].as_str();
                    assert!(
                        matches!(mark, Some("idempotent" | "unsafe")),
                        "{service} {}: {mark:?}",
                        op["operationId"]
                    );
                }
            }
            assert_eq!(
                count,
                if service == "codeartspipeline" {
                    100
                } else {
                    135
                }
            );
        }
    }
}
