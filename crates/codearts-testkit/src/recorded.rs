//! What the test server received.

use codearts_transport::encoding::{decode, parse_query};

/// One request as it arrived.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// The method, e.g. `POST`.
    pub method: String,
    /// The path as sent (still percent-encoded).
    pub path: String,
    /// The raw query string as sent, without `?`.
    pub raw_query: String,
    /// Decoded query pairs in the order sent.
    pub query: Vec<(String, String)>,
    /// Headers with lower-case names, in the order sent.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

/// One part of a multipart form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// The field name.
    pub name: String,
    /// The file name, for file parts.
    pub file_name: Option<String>,
    /// The part's `Content-Type` header, if it has one.
    pub content_type: Option<String>,
    /// The part's bytes.
    pub data: Vec<u8>,
}

impl Recorded {
    pub(crate) fn new(
        method: String,
        target: &str,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    ) -> Self {
        let (path, raw_query) = target.split_once('?').unwrap_or((target, ""));
        Recorded {
            method,
            path: path.to_owned(),
            raw_query: raw_query.to_owned(),
            query: parse_query(raw_query),
            headers,
            body,
        }
    }

    /// The path with percent-escapes decoded.
    pub fn decoded_path(&self) -> String {
        decode(&self.path).into_owned()
    }

    /// The decoded query pairs, borrowed.
    pub fn query_pairs(&self) -> Vec<(&str, &str)> {
        self.query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }

    /// A header's value (name in any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON; panics if it is not.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "the request body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// The parts of a `multipart/form-data` body; panics if the body is not one.
    pub fn multipart(&self) -> Vec<Part> {
        let content_type = self.header("content-type").expect("a content type");
        let boundary = content_type
            .split_once("boundary=")
            .map(|(_, b)| b.trim_matches('"'))
            .expect("a multipart boundary");
        let delimiter = format!("--{boundary}");
        let mut parts = Vec::new();
        let body = &self.body[..];
        let mut sections = split(body, delimiter.as_bytes());
        sections.remove(0);
        for section in sections {
            if section.starts_with(b"--") {
                break;
            }
            let section = section.strip_prefix(b"\r\n").unwrap_or(section);
            let Some(head_end) = section.windows(4).position(|w| w == b"\r\n\r\n") else {
                continue;
            };
            let head = String::from_utf8_lossy(&section[..head_end]);
            let mut data = section[head_end + 4..].to_vec();
            if data.ends_with(b"\r\n") {
                data.truncate(data.len() - 2);
            }
            // Attributes come from the disposition line alone: a following `Content-Type`
            // line must not run into the last one.
            let disposition = head
                .split("\r\n")
                .find(|line| {
                    line.to_ascii_lowercase()
                        .starts_with("content-disposition:")
                })
                .unwrap_or_default();
            let attr = |key: &str| {
                disposition
                    .split(';')
                    .map(str::trim)
                    .find_map(|kv| kv.strip_prefix(&format!("{key}=")))
                    .map(|v| v.trim_matches('"').to_owned())
            };
            parts.push(Part {
                name: attr("name").unwrap_or_default(),
                file_name: attr("filename"),
                content_type: head.split("\r\n").find_map(|line| {
                    let (name, value) = line.split_once(':')?;
                    name.trim()
                        .eq_ignore_ascii_case("content-type")
                        .then(|| value.trim().to_owned())
                }),
                data,
            });
        }
        parts
    }

    /// Checks that the request carries an `SDK-HMAC-SHA256` signature by `ak` that verifies
    /// against what arrived (method, path, query, signed headers, body) with the test SK.
    pub fn assert_signed_by(&self, ak: &str) {
        let authorization = self
            .header("authorization")
            .expect("an Authorization header");
        assert!(
            authorization.starts_with(&format!("SDK-HMAC-SHA256 Access={ak}, SignedHeaders=")),
            "unexpected Authorization: {authorization}"
        );
        let outcome = codearts_auth::verify::verify(
            &codearts_auth::verify::ReceivedRequest {
                method: &self.method,
                path: &self.path,
                query: &self.raw_query,
                headers: &self.headers,
                body: &self.body,
            },
            |access| (access == ak).then(|| crate::TEST_SK.to_owned()),
        );
        assert!(
            outcome.is_ok(),
            "the signature does not verify: {outcome:?}"
        );
    }
}

fn split<'a>(haystack: &'a [u8], needle: &[u8]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i + needle.len() <= haystack.len() {
        if &haystack[i..i + needle.len()] == needle {
            out.push(&haystack[start..i]);
            i += needle.len();
            start = i;
        } else {
            i += 1;
        }
    }
    out.push(&haystack[start..]);
    out
}
