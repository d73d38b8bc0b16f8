//! Rust names, types and sample values for spec schemas.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::spec::ref_name;

const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "do", "dyn",
    "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let",
    "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref", "return",
    "static", "struct", "trait", "true", "try", "type", "typeof", "unsafe", "unsized", "use",
    "virtual", "where", "while", "yield",
];
/// Keywords that cannot be raw identifiers.
const NOT_RAW: &[&str] = &["self", "Self", "super", "crate"];

/// The Rust field name for an official attribute name (`_async` → `r#async`, `_self` → `self_`).
pub fn field_name(attr: &str) -> String {
    let base = snake(attr.trim_start_matches('_'));
    if NOT_RAW.contains(&base.as_str()) {
        format!("{base}_")
    } else if KEYWORDS.contains(&base.as_str()) {
        format!("r#{base}")
    } else {
        base
    }
}

/// The name without a raw-identifier prefix, for use inside other identifiers (`set_async`).
pub fn bare(field: &str) -> &str {
    field.trim_start_matches("r#")
}

/// snake_case of an identifier that may be camelCase.
pub fn snake(name: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = name.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let prev_lower =
                i > 0 && (chars[i - 1].is_ascii_lowercase() || chars[i - 1].is_ascii_digit());
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            let prev_upper = i > 0 && chars[i - 1].is_ascii_uppercase();
            if i > 0 && !out.ends_with('_') && (prev_lower || (prev_upper && next_lower)) {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out
}

/// The Rust type of a schema; `$ref`s resolve to `prefix` + the component name.
pub fn rust_type(schema: &Value, prefix: &str) -> String {
    if let Some(r) = schema["$ref"].as_str() {
        return format!("{prefix}{}", ref_name(r));
    }
    match (schema["type"].as_str(), schema["format"].as_str()) {
        (Some("string"), Some("binary")) => "crate::FilePart".to_owned(),
        (Some("string"), _) => "String".to_owned(),
        (Some("integer"), _) => "i64".to_owned(),
        (Some("number"), _) => "f64".to_owned(),
        (Some("boolean"), _) => "bool".to_owned(),
        (Some("array"), _) => format!("Vec<{}>", rust_type(&schema["items"], prefix)),
        (Some("object"), _) if schema.get("additionalProperties").is_some() => format!(
            "std::collections::BTreeMap<String, {}>",
            rust_type(&schema["additionalProperties"], prefix)
        ),
        _ => "serde_json::Value".to_owned(),
    }
}

/// True when the type has a `Default` whatever the components are.
pub fn has_default(schema: &Value, defaults: &dyn Fn(&str) -> bool) -> bool {
    match schema["$ref"].as_str() {
        Some(r) => defaults(ref_name(r)),
        None => !matches!(
            (schema["type"].as_str(), schema["format"].as_str()),
            (Some("string"), Some("binary"))
        ),
    }
}

/// Names that mark a field as secret even when the spec does not.
pub fn looks_secret(wire: &str) -> bool {
    let lower = wire.to_ascii_lowercase();
    [
        "password",
        "secret",
        "token",
        "passwd",
        "private_key",
        "privatekey",
        "credential",
    ]
    .iter()
    .any(|s| lower.contains(s))
        && !lower.ends_with("_type")
        && !lower.starts_with("is_")
}

/// A sample JSON value with every field filled, for round-trip tests. Recursion into a
/// component already on the stack stops (the field is left out).
pub fn sample(
    schema: &Value,
    schemas: &BTreeMap<String, Value>,
    stack: &mut Vec<String>,
) -> Option<Value> {
    if let Some(r) = schema["$ref"].as_str() {
        let name = ref_name(r).to_owned();
        if stack.contains(&name) || stack.len() > 6 {
            return None;
        }
        let component = schemas.get(&name)?;
        stack.push(name);
        let value = sample(component, schemas, stack);
        stack.pop();
        return value;
    }
    Some(match (schema["type"].as_str(), schema["format"].as_str()) {
        (Some("string"), Some("date-time")) => json!("2026-11-22T14:06:21Z"),
        (Some("string"), Some("date")) => json!("2026-11-22"),
        (Some("string"), _) => json!("s-1 ü/?"),
        (Some("integer"), _) => json!(-42),
        (Some("number"), _) => json!(1.5),
        (Some("boolean"), _) => json!(true),
        (Some("array"), _) => Value::Array(
            sample(&schema["items"], schemas, stack)
                .into_iter()
                .collect(),
        ),
        (Some("object"), _) if schema.get("properties").is_some() => {
            let mut map = serde_json::Map::new();
            for (key, prop) in schema["properties"].as_object().into_iter().flatten() {
                if let Some(v) = sample(prop, schemas, stack) {
                    map.insert(key.clone(), v);
                }
            }
            Value::Object(map)
        }
        (Some("object"), _) if schema.get("additionalProperties").is_some() => {
            let mut map = serde_json::Map::new();
            if let Some(v) = sample(&schema["additionalProperties"], schemas, stack) {
                map.insert("k".to_owned(), v);
            }
            Value::Object(map)
        }
        (Some("object"), _) => json!({}),
        _ => json!({"any": [1, "two"]}),
    })
}

/// Statements that build `var` of model type `ty`: `let [mut] var = ty::new(required…);`,
/// then `if let Some(v) = value { var = var.set_field(v); }` per optional `(field, value)`.
pub fn construct(
    var: &str,
    ty: &str,
    required: &[String],
    optional: &[(String, String)],
) -> Vec<String> {
    let mutable = if optional.is_empty() { "" } else { "mut " };
    let mut lines = vec![format!(
        "let {mutable}{var} = {ty}::new({});",
        required.join(", ")
    )];
    for (field, value) in optional {
        lines.push(format!(
            "if let Some(v) = {value} {{ {var} = {var}.set_{}(v); }}",
            bare(field)
        ));
    }
    lines
}

/// A Rust string literal for `text`.
pub fn literal(text: &str) -> String {
    format!("{text:?}")
}

/// The words of an operation name, as a sentence start: `reject_manual_review` → "Reject manual review".
pub fn sentence(name: &str) -> String {
    let words = name.replace('_', " ");
    let mut c = words.chars();
    match c.next() {
        Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(field_name("dsl_method"), "dsl_method");
        assert_eq!(field_name("dslMethod"), "dsl_method");
        assert_eq!(field_name("_async"), "r#async");
        assert_eq!(field_name("_self"), "self_");
        assert_eq!(field_name("_from"), "from");
        assert_eq!(field_name("type"), "r#type");
        assert_eq!(snake("productLine"), "product_line");
        assert_eq!(snake("X-Subject-Token"), "x_subject_token");
        assert_eq!(snake("HTTPServer"), "http_server");
    }

    #[test]
    fn secrets() {
        assert!(looks_secret("password"));
        assert!(looks_secret("X-Subject-Token"));
        assert!(!looks_secret("token_type"));
        assert!(!looks_secret("is_password_set"));
    }
}
