//! Plausible answers for the operations the emulator's state does not model.
//!
//! A client that reads a field of an answer should find data of the right shape there, not an
//! empty object. The spec marks no response field as required (the official SDKs treat every
//! response field as optional), so "every required field" alone would still be `{}`; instead
//! every field is filled down to a small depth, and below it only the required ones. Values
//! follow the field's name where the name says what it holds (ids, times, URLs, statuses) and
//! its type otherwise. Everything is a pure function of the spec, so the output is
//! reproducible.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::spec::{ref_name, ResponseBody, Spec};

/// Below this depth only required fields are filled (keeps answers small: some component
/// graphs are deep and wide).
const FULL_DEPTH: usize = 3;

/// Recursion into a component already being filled stops here.
const MAX_DEPTH: usize = 8;

/// The instant used for every timestamp: 2026-01-01T00:00:00Z.
const EPOCH_MILLIS: i64 = 1_767_225_600_000;

/// The sample answer of an operation; `None` for answers without a JSON body.
pub fn answer(spec: &Spec, response: &ResponseBody) -> Option<Value> {
    let filler = Filler {
        schemas: &spec.schemas,
        status: if spec.service == "codeartsbuild" {
            "SUCCESS"
        } else {
            "COMPLETED"
        },
    };
    match response {
        ResponseBody::Model(name) => {
            // Spec loading checks references, so a missing component is only a bare `{}`.
            let Some(schema) = spec.schemas.get(name) else {
                return Some(json!({}));
            };
            Some(filler.value(schema, "", 0, &mut vec![name.clone()], true))
        }
        ResponseBody::Bare(schema) => Some(filler.value(schema, "", 0, &mut Vec::new(), true)),
        ResponseBody::Stream | ResponseBody::Empty => None,
    }
}

struct Filler<'a> {
    schemas: &'a BTreeMap<String, Value>,
    /// What a `status` field says: each service's "finished well" word.
    status: &'static str,
}

impl Filler<'_> {
    /// The value of `schema` for a field called `name` (empty for the top level), at `depth`.
    /// `stack` holds the components being filled, to stop cycles.
    fn value(
        &self,
        schema: &Value,
        name: &str,
        depth: usize,
        stack: &mut Vec<String>,
        full: bool,
    ) -> Value {
        if let Some(r) = schema["$ref"].as_str() {
            let component = ref_name(r).to_owned();
            let Some(target) = self.schemas.get(&component) else {
                return json!({});
            };
            if stack.contains(&component) || depth >= MAX_DEPTH {
                return empty_of(target);
            }
            stack.push(component);
            let v = self.value(target, name, depth, stack, full);
            stack.pop();
            return v;
        }
        if let Some(first) = schema["enum"].as_array().and_then(|e| e.first()) {
            return first.clone();
        }
        match schema["type"].as_str() {
            Some("string") => json!(string_for(name, schema["format"].as_str(), self.status)),
            Some("integer") => json!(integer_for(name)),
            Some("number") => json!(number_for(name)),
            Some("boolean") => json!(matches!(
                lower(name).as_str(),
                "success" | "is_success" | "ok" | "result"
            )),
            Some("array") => {
                let items = &schema["items"];
                let fills = full || has_required(items, self.schemas);
                if !fills || stack_blocks(items, stack) {
                    return json!([]);
                }
                let singular = name.strip_suffix('s').unwrap_or(name);
                let item = self.value(items, singular, depth + 1, stack, full);
                // `[{}]` says less than `[]` and reads as a broken element.
                if item == json!({}) {
                    json!([])
                } else {
                    Value::Array(vec![item])
                }
            }
            Some("object") if schema.get("properties").is_some() => {
                let required: Vec<&str> = schema["required"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                let full_here = full && depth < FULL_DEPTH;
                let mut map = Map::new();
                for (key, prop) in schema["properties"].as_object().into_iter().flatten() {
                    let is_required = required.contains(&key.as_str());
                    if !(full_here || is_required) {
                        continue;
                    }
                    // A field without a type is free-form: nothing plausible to say unless the
                    // spec insists.
                    if prop.get("$ref").is_none() && prop.get("type").is_none() && !is_required {
                        continue;
                    }
                    // An error field filled in reads as a failure: an answer that went well
                    // leaves them out.
                    if !is_required && is_error_field(key) {
                        continue;
                    }
                    if !is_required && stack_blocks(prop, stack) {
                        continue;
                    }
                    map.insert(
                        key.clone(),
                        self.value(prop, key, depth + 1, stack, full_here),
                    );
                }
                Value::Object(map)
            }
            // Maps and free-form objects: an empty one is of the type and claims nothing.
            _ => json!({}),
        }
    }
}

/// True when `schema` refers to a component already being filled (filling it would recurse).
fn stack_blocks(schema: &Value, stack: &[String]) -> bool {
    let inner = if schema["type"].as_str() == Some("array") {
        &schema["items"]
    } else {
        schema
    };
    inner["$ref"]
        .as_str()
        .is_some_and(|r| stack.iter().any(|s| s == ref_name(r)))
}

/// True when `schema` is (or refers to) an object with required fields.
fn has_required(schema: &Value, schemas: &BTreeMap<String, Value>) -> bool {
    let target = match schema["$ref"].as_str() {
        Some(r) => match schemas.get(ref_name(r)) {
            Some(t) => t,
            None => return false,
        },
        None => schema,
    };
    target["required"].as_array().is_some_and(|r| !r.is_empty())
}

/// The smallest value of a component's type, for cycles and depth cut-offs.
fn empty_of(schema: &Value) -> Value {
    match schema["type"].as_str() {
        Some("array") => json!([]),
        Some("string") => json!(""),
        Some("integer") => json!(0),
        Some("number") => json!(0.0),
        Some("boolean") => json!(false),
        _ => json!({}),
    }
}

/// 32 lowercase hex characters derived from `seed`, the shape of CodeArts ids.
pub fn hex_id(seed: &str) -> String {
    // FNV-1a, twice with different offsets: stable across platforms and Rust versions.
    let fnv = |offset: u64| {
        seed.bytes().fold(offset, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        })
    };
    format!(
        "{:016x}{:016x}",
        fnv(0xcbf2_9ce4_8422_2325),
        fnv(0x6c62_272e_07bb_0142)
    )
}

fn lower(name: &str) -> String {
    super::rust::snake(name)
}

fn is_error_field(name: &str) -> bool {
    let n = lower(name);
    n == "error" || n.starts_with("error_") || n.starts_with("err_") || n == "errors"
}

fn is_id(name: &str) -> bool {
    let n = lower(name);
    n == "id" || n.ends_with("_id") || n == "uuid" || n.ends_with("_uuid")
}

/// Field names that hold a point in time (not a duration).
fn is_instant(name: &str) -> bool {
    let n = lower(name);
    let duration = [
        "cost",
        "elapse",
        "keep",
        "forbidden",
        "avg_",
        "max_",
        "min_",
        "timeout",
    ];
    if duration.iter().any(|d| n.contains(d)) || n == "build_time" || n == "execution_time" {
        return false;
    }
    n.ends_with("_time")
        || n.ends_with("_at")
        || n.ends_with("_date")
        || n.ends_with("time_stamp")
        || n == "date"
        || n == "time"
        || n == "timestamp"
}

fn string_for(name: &str, format: Option<&str>, status: &str) -> String {
    let n = lower(name);
    match format {
        Some("date-time") => return "2026-01-01T00:00:00Z".to_owned(),
        Some("date") => return "2026-01-01".to_owned(),
        _ => {}
    }
    if is_id(name) {
        return hex_id(&n);
    }
    if n.ends_with("time_stamp") || n == "timestamp" {
        return EPOCH_MILLIS.to_string();
    }
    if n == "date" || n.ends_with("_date") {
        return "2026-01-01".to_owned();
    }
    if is_instant(name) {
        // The services print local times as `yyyy-MM-dd HH:mm:ss`.
        return "2026-01-01 08:00:00".to_owned();
    }
    if n.contains("url") || n.contains("uri") || n.ends_with("link") || n.ends_with("address") {
        return format!("https://example.com/{}", n.replace('_', "-"));
    }
    if n.contains("email") || n.contains("mail") {
        return "user@example.com".to_owned();
    }
    if n == "status" || n.ends_with("_status") || n == "result" {
        return status.to_owned();
    }
    if n.contains("version") {
        return "1.0.0".to_owned();
    }
    if n.is_empty() {
        return "ok".to_owned();
    }
    format!("emulated-{}", n.replace('_', "-"))
}

fn integer_for(name: &str) -> i64 {
    let n = lower(name);
    if is_instant(name) {
        EPOCH_MILLIS
    } else if n == "offset" || n == "page_index" || n.ends_with("_index") {
        0
    } else if n == "limit" || n.ends_with("page_size") {
        10
    } else {
        // Counts match the one-element arrays; numbers and ids are positive.
        1
    }
}

fn number_for(name: &str) -> f64 {
    if is_instant(name) {
        EPOCH_MILLIS as f64
    } else {
        1.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec_with(schemas: Value) -> Spec {
        Spec {
            service: "codeartspipeline".to_owned(),
            regions: Vec::new(),
            operations: Vec::new(),
            schemas: serde_json::from_value(schemas).unwrap(),
        }
    }

    #[test]
    fn fields_get_values_of_their_shape() {
        let spec = spec_with(json!({
            "R": {"type": "object", "properties": {
                "pipeline_id": {"type": "string"},
                "start_time": {"type": "integer", "format": "int64"},
                "create_time": {"type": "string"},
                "status": {"type": "string"},
                "kind": {"type": "string", "enum": ["A", "B"]},
                "jobs": {"type": "array", "items": {"$ref": "#/components/schemas/Job"}},
                "free": {},
                "error_code": {"type": "string"},
                "success": {"type": "boolean"},
            }},
            "Job": {"type": "object", "required": ["id"], "properties": {
                "id": {"type": "string"},
                "parent": {"$ref": "#/components/schemas/R"},
            }},
        }));
        let v = answer(&spec, &ResponseBody::Model("R".to_owned())).unwrap();
        let id = v["pipeline_id"].as_str().unwrap();
        assert_eq!(id.len(), 32);
        assert!(id
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert_eq!(v["start_time"], json!(EPOCH_MILLIS));
        assert_eq!(v["create_time"], json!("2026-01-01 08:00:00"));
        assert_eq!(v["status"], json!("COMPLETED"));
        assert_eq!(v["kind"], json!("A"));
        assert!(v.get("free").is_none(), "{v}");
        assert!(v.get("error_code").is_none(), "{v}");
        assert_eq!(v["success"], json!(true));
        let jobs = v["jobs"].as_array().unwrap();
        assert_eq!(jobs.len(), 1);
        assert_eq!(jobs[0]["id"].as_str().unwrap().len(), 32);
        // The cycle back to R is cut: the field is left out rather than recursing.
        assert!(jobs[0].get("parent").is_none(), "{v}");
    }

    #[test]
    fn required_fields_are_filled_below_the_full_depth() {
        let spec = spec_with(json!({
            "A": {"type": "object", "properties": {"b": {"$ref": "#/components/schemas/B"}}},
            "B": {"type": "object", "properties": {"c": {"$ref": "#/components/schemas/C"}}},
            "C": {"type": "object", "properties": {"d": {"$ref": "#/components/schemas/D"}}},
            "D": {"type": "object", "required": ["must"], "properties": {
                "must": {"type": "string"}, "may": {"type": "string"}}},
        }));
        let v = answer(&spec, &ResponseBody::Model("A".to_owned())).unwrap();
        let d = &v["b"]["c"]["d"];
        assert_eq!(d["must"], json!("emulated-must"), "{v}");
        assert!(d.get("may").is_none(), "{v}");
    }

    #[test]
    fn ids_differ_by_field_and_are_stable() {
        assert_ne!(hex_id("job_id"), hex_id("pipeline_id"));
        assert_eq!(hex_id("job_id"), hex_id("job_id"));
        assert_eq!(hex_id("job_id").len(), 32);
    }
}
