//! Printing answers: pretty JSON, YAML (a small emitter, quoting whatever could be misread) and
//! tables (the first list of objects in the answer).

use serde_json::{Map, Value};

/// How answers are printed (`--output`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// Pretty-printed JSON.
    #[default]
    Json,
    /// YAML.
    Yaml,
    /// A text table.
    Table,
}

impl Format {
    /// The format named `name` (`json`, `yaml` or `table`).
    pub fn parse(name: &str) -> Option<Format> {
        match name {
            "json" => Some(Format::Json),
            "yaml" => Some(Format::Yaml),
            "table" => Some(Format::Table),
            _ => None,
        }
    }
}

/// `value` rendered in `format`, ending with a newline.
///
/// Nothing a server sent reaches the terminal as a control character: JSON escapes C0 and
/// this adds DEL and C1 (which serde_json leaves as they are), YAML quotes such strings the
/// same way, and table cells replace them with spaces.
pub fn render(value: &Value, format: Format) -> String {
    match format {
        Format::Json => {
            let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
            text.push('\n');
            escape_json_text(text)
        }
        Format::Yaml => escape_json_text(yaml(value)),
        Format::Table => table(value),
    }
}

/// True for the characters a terminal may act on: C0 controls, DEL and C1 controls.
fn is_terminal_control(c: char) -> bool {
    c.is_control()
}

/// `text` with every control character but newline and tab shown as an escape (`\x1b`), so
/// that text from a server cannot move the cursor, retitle the window or clear the screen.
pub fn escape_control(text: &str) -> std::borrow::Cow<'_, str> {
    if !text
        .chars()
        .any(|c| is_terminal_control(c) && c != '\n' && c != '\t')
    {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_terminal_control(c) && c != '\n' && c != '\t' {
            out.push_str(&format!("\\x{:02x}", c as u32));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Escapes DEL and C1 characters as `\u00XX` in JSON (or YAML double-quoted) text, where
/// they can only appear inside strings.
fn escape_json_text(text: String) -> String {
    if !text.chars().any(is_terminal_control_beyond_c0) {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_terminal_control_beyond_c0(c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

fn is_terminal_control_beyond_c0(c: char) -> bool {
    is_terminal_control(c) && c as u32 >= 0x7f
}

/// Bytes from a server for a terminal: shown as text with control characters escaped.
pub fn escape_bytes(bytes: &[u8]) -> String {
    escape_control(&String::from_utf8_lossy(bytes)).into_owned()
}

// ---------------------------------------------------------------------------------------
// YAML

/// A YAML document for `value`.
pub fn yaml(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(map) if !map.is_empty() => yaml_map(&mut out, map, 0),
        Value::Array(items) if !items.is_empty() => yaml_seq(&mut out, items, 0),
        other => {
            out.push_str(&yaml_scalar(other));
            out.push('\n');
        }
    }
    out
}

fn indent(out: &mut String, level: usize) {
    for _ in 0..level {
        out.push_str("  ");
    }
}

fn is_nested(value: &Value) -> bool {
    match value {
        Value::Object(m) => !m.is_empty(),
        Value::Array(a) => !a.is_empty(),
        _ => false,
    }
}

fn yaml_map(out: &mut String, map: &Map<String, Value>, level: usize) {
    for (key, value) in map {
        indent(out, level);
        out.push_str(&yaml_string(key));
        out.push(':');
        yaml_value_after_key(out, value, level);
    }
}

fn yaml_value_after_key(out: &mut String, value: &Value, level: usize) {
    match value {
        Value::Object(m) if !m.is_empty() => {
            out.push('\n');
            yaml_map(out, m, level + 1);
        }
        Value::Array(a) if !a.is_empty() => {
            out.push('\n');
            yaml_seq(out, a, level);
        }
        other => {
            out.push(' ');
            out.push_str(&yaml_scalar(other));
            out.push('\n');
        }
    }
}

fn yaml_seq(out: &mut String, items: &[Value], level: usize) {
    for item in items {
        indent(out, level);
        out.push('-');
        match item {
            Value::Object(m) if !m.is_empty() => {
                // The first key on the dash's line, the rest aligned under it.
                let mut first = true;
                for (key, value) in m {
                    if first {
                        out.push(' ');
                        first = false;
                    } else {
                        indent(out, level + 1);
                    }
                    out.push_str(&yaml_string(key));
                    out.push(':');
                    yaml_value_after_key(out, value, level + 1);
                }
            }
            Value::Array(a) if !a.is_empty() => {
                out.push('\n');
                yaml_seq(out, a, level + 1);
            }
            other => {
                debug_assert!(!is_nested(other));
                out.push(' ');
                out.push_str(&yaml_scalar(other));
                out.push('\n');
            }
        }
    }
}

fn yaml_scalar(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => yaml_string(s),
        Value::Array(_) => "[]".to_owned(),
        Value::Object(_) => "{}".to_owned(),
    }
}

/// Words YAML 1.1 or 1.2 readers take for booleans or null.
const RESERVED: &[&str] = &[
    "null", "~", "true", "false", "yes", "no", "on", "off", "y", "n",
];

/// A string plain when nothing could misread it, else double-quoted with JSON escapes (a JSON
/// string is a valid YAML double-quoted scalar).
fn yaml_string(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/'))
        && s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_' || c == '/')
        && !RESERVED.contains(&s.to_ascii_lowercase().as_str())
        && !looks_numeric(s);
    if plain {
        s.to_owned()
    } else {
        serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_owned())
    }
}

fn looks_numeric(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    lower.parse::<f64>().is_ok()
        || matches!(lower.as_str(), ".inf" | "-.inf" | "+.inf" | ".nan")
        || lower.starts_with("0x")
        || lower.starts_with("0o")
}

// ---------------------------------------------------------------------------------------
// Tables

/// The longest a cell is printed.
const CELL_WIDTH: usize = 40;

/// A text table of the first list of objects in `value` (searched breadth-first), columns
/// being the scalar fields of its rows; without such a list, `FIELD VALUE` rows of the scalar
/// fields.
pub fn table(value: &Value) -> String {
    match first_object_list(value) {
        Some(rows) => list_table(rows),
        None => {
            let mut rows = Vec::new();
            flatten(value, String::new(), &mut rows);
            let header = vec!["FIELD".to_owned(), "VALUE".to_owned()];
            let body = rows.into_iter().map(|(k, v)| vec![k, v]).collect();
            layout(header, body)
        }
    }
}

fn first_object_list(value: &Value) -> Option<&Vec<Value>> {
    let mut queue = std::collections::VecDeque::from([value]);
    while let Some(v) = queue.pop_front() {
        match v {
            Value::Array(items) if !items.is_empty() && items.iter().all(Value::is_object) => {
                return Some(items);
            }
            Value::Object(map) => queue.extend(map.values()),
            _ => {}
        }
    }
    None
}

fn list_table(rows: &[Value]) -> String {
    let mut columns: Vec<&str> = Vec::new();
    for row in rows {
        if let Value::Object(map) = row {
            for (key, v) in map {
                if !is_nested(v) && !columns.contains(&key.as_str()) {
                    columns.push(key);
                }
            }
        }
    }
    let header = columns
        .iter()
        .map(|c| one_line(&c.to_uppercase()))
        .collect();
    let body = rows
        .iter()
        .map(|row| {
            columns
                .iter()
                .map(|c| row.get(*c).map(cell).unwrap_or_default())
                .collect()
        })
        .collect();
    layout(header, body)
}

fn flatten(value: &Value, prefix: String, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(v, key, out);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for (i, v) in items.iter().enumerate() {
                flatten(v, format!("{prefix}[{i}]"), out);
            }
        }
        other => out.push((one_line(&prefix), cell(other))),
    }
}

/// Field names come from the server too: one line, no control characters.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn cell(value: &Value) -> String {
    let text = match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    // One line, and not wider than CELL_WIDTH characters.
    let text: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.chars().count() > CELL_WIDTH {
        let cut: String = text.chars().take(CELL_WIDTH - 1).collect();
        format!("{cut}…")
    } else {
        text
    }
}

fn layout(header: Vec<String>, rows: Vec<Vec<String>>) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (i, c) in row.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(&header).chain(rows.iter()) {
        let mut line = String::new();
        for (i, c) in row.iter().enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            line.push_str(c);
            let pad = widths[i] - c.chars().count();
            line.extend(std::iter::repeat_n(' ', pad));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn yaml_quotes_what_could_be_misread() {
        let v = json!({
            "plain": "hello-world_1.2/x",
            "bool_word": "yes",
            "null_word": "Null",
            "number_like": "0123",
            "float_like": "1e5",
            "colon": "a: b",
            "hash": "x #y",
            "leading_space": " x",
            "newline": "a\nb",
            "empty": "",
            "quote": "say \"hi\"",
            "unicode": "ü",
            "n": 1,
            "f": 1.5,
            "t": true,
            "z": null,
            "empty_list": [],
            "empty_map": {},
            "list": [1, {"a": 1, "b": [true]}, [2]],
            "key: odd": 1
        });
        let text = yaml(&v);
        let expected = r#"plain: hello-world_1.2/x
bool_word: "yes"
null_word: "Null"
number_like: "0123"
float_like: "1e5"
colon: "a: b"
hash: "x #y"
leading_space: " x"
newline: "a\nb"
empty: ""
quote: "say \"hi\""
unicode: "ü"
"n": 1
f: 1.5
t: true
z: null
empty_list: []
empty_map: {}
list:
- 1
- a: 1
  b:
  - true
-
  - 2
"key: odd": 1
"#;
        assert_eq!(text, expected);
    }

    #[test]
    fn yaml_scalars_at_top_level() {
        assert_eq!(yaml(&json!("on")), "\"on\"\n");
        assert_eq!(yaml(&json!({})), "{}\n");
        assert_eq!(yaml(&json!([{"a": {"b": 1}}])), "- a:\n    b: 1\n");
    }

    #[test]
    fn table_picks_the_first_list_of_objects() {
        let v = json!({
            "total": 2,
            "pipelines": [
                {"id": "p1", "name": "build", "nested": {"x": 1}},
                {"id": "p2", "status": "RUNNING", "name": "a very long name that goes well past the forty character limit"}
            ]
        });
        let text = table(&v);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "ID  NAME                                      STATUS"
        );
        assert_eq!(lines[1], "p1  build");
        assert!(lines[2].contains("a very long name that goes well past th…"));
        assert!(lines[2].ends_with("RUNNING"));
    }

    #[test]
    fn nothing_from_a_server_reaches_the_terminal_as_a_control() {
        let hostile = "\u{1b}]0;pwned\u{7}\u{1b}[2J\u{7f}\u{9b}31m";
        let v = json!({ hostile: hostile, "list": [{ hostile: hostile }] });
        for format in [Format::Json, Format::Yaml, Format::Table] {
            let text = render(&v, format);
            assert!(
                !text.chars().any(|c| c.is_control() && c != '\n'),
                "{format:?}: {text:?}"
            );
        }
        let flat = json!({ hostile: 1 });
        assert!(!table(&flat).chars().any(|c| c.is_control() && c != '\n'));
        // JSON stays JSON: the escapes read back as the same string.
        let back: Value = serde_json::from_str(&render(&v, Format::Json)).unwrap();
        assert_eq!(back, v);
        assert_eq!(
            escape_control("a\u{1b}[2Jb\n\tc\u{9b}"),
            "a\\x1b[2Jb\n\tc\\x9b"
        );
        assert!(matches!(
            escape_control("plain"),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn table_without_list_shows_fields() {
        let v = json!({"success": true, "result": {"is_execute": false}});
        assert_eq!(
            table(&v),
            "FIELD              VALUE\nsuccess            true\nresult.is_execute  false\n"
        );
    }
}
