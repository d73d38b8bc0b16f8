//! `multipart/form-data` bodies, built in memory so they can be signed and re-sent.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;

/// A multipart form under construction.
#[derive(Debug, Clone)]
pub struct Form {
    boundary: String,
    body: Vec<u8>,
}

impl Default for Form {
    fn default() -> Self {
        Self::new()
    }
}

impl Form {
    /// An empty form with a fresh boundary.
    pub fn new() -> Self {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        Form {
            boundary: format!("codearts-rs-{nanos:016x}{n:08x}"),
            body: Vec::new(),
        }
    }

    /// Adds a text field.
    pub fn text(mut self, name: &str, value: &str) -> Self {
        self.open_part(name, None, None);
        self.body.extend_from_slice(value.as_bytes());
        self.body.extend_from_slice(b"\r\n");
        self
    }

    /// Adds a file field. Without a `content_type` the part carries no `Content-Type`, as the
    /// official SDK sends it (the server then takes it as `application/octet-stream`).
    pub fn file(
        mut self,
        name: &str,
        file_name: &str,
        content_type: Option<&str>,
        data: &[u8],
    ) -> Self {
        self.open_part(name, Some(file_name), content_type);
        self.body.extend_from_slice(data);
        self.body.extend_from_slice(b"\r\n");
        self
    }

    fn open_part(&mut self, name: &str, file_name: Option<&str>, content_type: Option<&str>) {
        let mut head = format!(
            "--{}\r\nContent-Disposition: form-data; name=\"{}\"",
            self.boundary,
            quote(name)
        );
        if let Some(file_name) = file_name {
            head.push_str(&format!("; filename=\"{}\"", quote(file_name)));
        }
        head.push_str("\r\n");
        if let Some(content_type) = content_type {
            // A type is one header line: line breaks in it would forge more headers.
            let content_type: String = content_type
                .chars()
                .filter(|c| *c != '\r' && *c != '\n')
                .collect();
            head.push_str(&format!("Content-Type: {content_type}\r\n"));
        }
        head.push_str("\r\n");
        self.body.extend_from_slice(head.as_bytes());
    }

    /// The `Content-Type` header value and the body.
    pub fn finish(mut self) -> (String, Bytes) {
        self.body
            .extend_from_slice(format!("--{}--\r\n", self.boundary).as_bytes());
        (
            format!("multipart/form-data; boundary={}", self.boundary),
            Bytes::from(self.body),
        )
    }
}

/// Names are quoted strings: escape what would end them or break the header line.
fn quote(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('"', "%22")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_layout() {
        let (content_type, body) = Form::new()
            .text("privacy", "true")
            .file("file", "a\"b.p12", None, b"\x00\x01")
            .finish();
        let boundary = content_type
            .strip_prefix("multipart/form-data; boundary=")
            .unwrap();
        let expected = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"privacy\"\r\n\r\ntrue\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a%22b.p12\"\r\n\
             \r\n\x00\x01\r\n--{boundary}--\r\n"
        );
        assert_eq!(body, Bytes::from(expected));
    }

    #[test]
    fn boundaries_differ() {
        assert_ne!(Form::new().boundary, Form::new().boundary);
    }

    #[test]
    fn a_set_content_type_is_sent_on_one_line() {
        let (_, body) = Form::new()
            .file("file", "icon.png", Some("image/png\r\nX-Evil: 1"), b"png")
            .finish();
        let text = String::from_utf8_lossy(&body);
        assert!(
            text.contains("filename=\"icon.png\"\r\nContent-Type: image/pngX-Evil: 1\r\n\r\npng"),
            "{text}"
        );
    }
}
