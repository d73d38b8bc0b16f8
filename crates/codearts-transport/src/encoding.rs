//! Percent-encoding of path segments and query strings, as the services and signers expect it.
//!
//! Everything but `A-Z a-z 0-9 - . _ ~` is escaped: the same set the official SDKs escape, so the
//! URL we send is the URL we sign.

use std::borrow::Cow;

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::Error;

/// The bytes escaped in a path segment, a query key or a query value.
pub const ESCAPED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Escapes one component (a path segment, a query key or value).
pub fn encode(component: &str) -> Cow<'_, str> {
    utf8_percent_encode(component, ESCAPED).into()
}

/// Reverses [`encode`]; invalid UTF-8 after decoding is replaced, as the official signers do.
pub fn decode(component: &str) -> Cow<'_, str> {
    percent_decode_str(component).decode_utf8_lossy()
}

/// Escapes a path parameter so that it stays one segment of the path it is put in.
///
/// `/`, `?`, `#` and `%` are escaped; an empty value, `.` and `..` are refused because no
/// escaping stops a server or proxy from collapsing them into another route.
pub fn path_param<'a>(name: &str, value: &'a str) -> Result<Cow<'a, str>, Error> {
    match value {
        "" => Err(Error::invalid_request(format!(
            "path parameter `{name}` is empty"
        ))),
        "." | ".." => Err(Error::invalid_request(format!(
            "path parameter `{name}` may not be `{value}`"
        ))),
        _ => Ok(encode(value)),
    }
}

/// The canonical query string: pairs sorted by key then value (before escaping), escaped, and
/// joined with `&`. The URL carries exactly this string, and the signer signs exactly this.
pub fn canonical_query<K: AsRef<str>, V: AsRef<str>>(pairs: &[(K, V)]) -> String {
    let mut sorted: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_ref(), v.as_ref()))
        .collect();
    sorted.sort_unstable();
    let mut out = String::new();
    for (key, value) in sorted {
        if !out.is_empty() {
            out.push('&');
        }
        out.push_str(&encode(key));
        out.push('=');
        out.push_str(&encode(value));
    }
    out
}

/// Splits a raw query string into decoded pairs; a key without `=` has an empty value.
pub fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (key, value) = part.split_once('=').unwrap_or((part, ""));
            (decode(key).into_owned(), decode(value).into_owned())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreserved_characters_pass_through() {
        assert_eq!(encode("AZaz09-._~"), "AZaz09-._~");
    }

    #[test]
    fn reserved_and_unicode_are_escaped() {
        assert_eq!(encode("a/b?c#d%e f+g"), "a%2Fb%3Fc%23d%25e%20f%2Bg");
        assert_eq!(encode("流水线"), "%E6%B5%81%E6%B0%B4%E7%BA%BF");
    }

    #[test]
    fn path_params_cannot_escape_their_segment() {
        assert_eq!(path_param("id", "../x").unwrap(), "..%2Fx");
        assert_eq!(path_param("id", "%2F").unwrap(), "%252F");
        assert!(path_param("id", "..").is_err());
        assert!(path_param("id", ".").is_err());
        assert!(path_param("id", "").is_err());
    }

    #[test]
    fn canonical_query_sorts_by_key_then_value() {
        let pairs = [("b", "2"), ("a", "z"), ("a", "y"), ("c d", "é")];
        assert_eq!(canonical_query(&pairs), "a=y&a=z&b=2&c%20d=%C3%A9");
    }

    #[test]
    fn parse_query_round_trips() {
        let pairs = vec![
            ("a".to_owned(), "x y".to_owned()),
            ("empty".to_owned(), String::new()),
        ];
        assert_eq!(parse_query(&canonical_query(&pairs)), pairs);
        assert_eq!(
            parse_query("flag&k=v"),
            vec![("flag".into(), "".into()), ("k".into(), "v".into())]
        );
    }
}
