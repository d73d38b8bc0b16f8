//! Error bodies in the shapes Huawei Cloud services send them.
//!
//! Services disagree on field names (`error_code`/`error_msg`, `errorCode`/`errorMsg`,
//! `code`/`message`) and nest them (`{"error": {...}}`, CodeArts Build's
//! `{"status": "fail", "error": {...}}`). One parser reads them all, so callers see one shape.

use serde_json::{Map, Value};

const CODE_KEYS: [&str; 3] = ["error_code", "errorCode", "code"];
const MESSAGE_KEYS: [&str; 6] = [
    "error_msg",
    "errorMsg",
    "error_message",
    "errorMessage",
    "message",
    "msg",
];
/// Wrappers that hold the error fields one level down.
const NESTED_KEYS: [&str; 3] = ["error", "errors", "err"];
/// Nesting deeper than this is not followed: bodies are untrusted.
const MAX_DEPTH: usize = 4;

/// The code and message a service sent with an error status.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ServiceErrorBody {
    /// The service's error code, e.g. `DEV.00000001` or `CB.00000001`.
    pub code: Option<String>,
    /// The service's error message.
    pub message: Option<String>,
    /// The `encoded_authorization_message` of a permission denial, when present.
    pub encoded_authorization_message: Option<String>,
}

/// An error body a layer below has already parsed, carried in the response's extensions so
/// the error built on the way up does not parse it again (the auth layer reads every 401).
#[doc(hidden)]
#[derive(Debug, Clone)]
pub struct ParsedErrorBody(pub Option<ServiceErrorBody>);

impl ServiceErrorBody {
    /// Parses an error body; `None` when it is not JSON or holds no code or message.
    pub fn parse(body: &[u8]) -> Option<Self> {
        let value: Value = serde_json::from_slice(body).ok()?;
        let found = find(&value, 0)?;
        Some(found)
    }
}

fn find(value: &Value, depth: usize) -> Option<ServiceErrorBody> {
    if depth > MAX_DEPTH {
        return None;
    }
    match value {
        Value::Object(map) => {
            // A wrapper's fields are more specific than a generic top-level `code`/`message`
            // pair (Build's envelope has a top-level `status` string and a nested `error`).
            let own = read_fields(map);
            if own.code.is_some() && own.message.is_some() {
                return Some(own);
            }
            for key in NESTED_KEYS {
                if let Some(found) = map.get(key).and_then(|v| find(v, depth + 1)) {
                    return Some(merge(found, own));
                }
            }
            (own.code.is_some() || own.message.is_some()).then_some(own)
        }
        Value::Array(items) => items.first().and_then(|v| find(v, depth + 1)),
        _ => None,
    }
}

fn merge(mut inner: ServiceErrorBody, outer: ServiceErrorBody) -> ServiceErrorBody {
    inner.code = inner.code.or(outer.code);
    inner.message = inner.message.or(outer.message);
    inner.encoded_authorization_message = inner
        .encoded_authorization_message
        .or(outer.encoded_authorization_message);
    inner
}

fn read_fields(map: &Map<String, Value>) -> ServiceErrorBody {
    ServiceErrorBody {
        code: first_scalar(map, &CODE_KEYS),
        message: first_scalar(map, &MESSAGE_KEYS),
        encoded_authorization_message: first_scalar(map, &["encoded_authorization_message"]),
    }
}

fn first_scalar(map: &Map<String, Value>, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|key| match map.get(*key)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: &str) -> Option<(Option<String>, Option<String>)> {
        ServiceErrorBody::parse(body.as_bytes()).map(|b| (b.code, b.message))
    }

    fn pair(code: &str, msg: &str) -> Option<(Option<String>, Option<String>)> {
        Some((Some(code.into()), Some(msg.into())))
    }

    #[test]
    fn snake_case_fields() {
        assert_eq!(
            parse(r#"{"error_code":"DEV.00000001","error_msg":"bad"}"#),
            pair("DEV.00000001", "bad")
        );
    }

    #[test]
    fn camel_case_fields() {
        assert_eq!(
            parse(r#"{"errorCode":"CB.1","errorMsg":"nope"}"#),
            pair("CB.1", "nope")
        );
    }

    #[test]
    fn code_and_message_with_numeric_code() {
        assert_eq!(
            parse(r#"{"code":404,"message":"not found"}"#),
            pair("404", "not found")
        );
    }

    #[test]
    fn nested_error_object() {
        assert_eq!(
            parse(
                r#"{"error":{"code":"401","message":"The request you have made requires authentication.","title":"Unauthorized"}}"#
            ),
            pair("401", "The request you have made requires authentication.")
        );
    }

    #[test]
    fn build_envelope_with_status_and_error() {
        assert_eq!(
            parse(
                r#"{"result":null,"status":"fail","error":{"error_code":"CB.00000001","error_msg":"job not found"}}"#
            ),
            pair("CB.00000001", "job not found")
        );
    }

    #[test]
    fn encoded_authorization_message_is_kept() {
        let body = ServiceErrorBody::parse(
            br#"{"error_code":"AUTH.0001","error_msg":"denied","encoded_authorization_message":"abc"}"#,
        )
        .unwrap();
        assert_eq!(body.encoded_authorization_message.as_deref(), Some("abc"));
    }

    #[test]
    fn non_json_and_unrelated_json_are_none() {
        assert_eq!(parse("<html>502</html>"), None);
        assert_eq!(parse(r#"{"success":false}"#), None);
        assert_eq!(parse(""), None);
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let mut body = String::from(r#"{"code":"X","message":"m"}"#);
        for _ in 0..100 {
            body = format!(r#"{{"error":{body}}}"#);
        }
        assert_eq!(parse(&body), None);
    }
}
