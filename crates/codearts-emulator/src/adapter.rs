//! What the generated adapters use: reading typed parameters out of a request, and turning a
//! stub's answer into an HTTP response.

use bytes::Bytes;
use codearts_model::FilePart;
use codearts_transport::{Error, ErrorKind, StreamingResponse};
use http::StatusCode;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// One operation's route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    /// The HTTP method, upper case.
    pub method: &'static str,
    /// The path template, e.g. `/v5/{project_id}/api/pipelines`.
    pub path: &'static str,
    /// The official operation name.
    pub op: &'static str,
}

/// An error answer in the services' shape: `{"error_code": "...", "error_msg": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The error code, e.g. `EMU.40001`.
    pub code: String,
    /// What went wrong, naming the parameter when one is at fault.
    pub message: String,
}

impl ApiError {
    /// An error with this status, code and message.
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code: code.to_owned(),
            message: message.into(),
        }
    }

    /// A 400 error.
    pub fn bad_request(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// A required parameter is missing.
    pub fn missing(kind: &str, name: &str) -> Self {
        Self::bad_request(
            codes::MISSING_PARAMETER,
            format!("the required {kind} parameter `{name}` is missing"),
        )
    }

    /// A parameter does not parse as its type.
    pub fn invalid(kind: &str, name: &str, value: &str, expected: &str) -> Self {
        Self::bad_request(
            codes::INVALID_PARAMETER,
            format!("the {kind} parameter `{name}` is `{value}`, which is not {expected}"),
        )
    }

    /// An operation name the dispatcher does not know (a bug, never a client's fault).
    pub fn unknown_operation(op: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            codes::UNKNOWN_ROUTE,
            format!("no operation `{op}`"),
        )
    }

    /// The JSON body of this error.
    pub fn body(&self) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({
            "error_code": self.code,
            "error_msg": self.message,
        }))
        .unwrap_or_default()
    }

    /// The error a stub method returns for this answer: `codearts_transport::Error` carrying
    /// the status, code and message.
    pub fn into_error(self) -> Error {
        Error::from_response(self.status, &http::HeaderMap::new(), &self.body())
    }

    /// Reads the status, code and message back out of a stub's error.
    pub fn from_error(error: &Error) -> Self {
        match (error.status(), error.error_code()) {
            (Some(status), Some(code)) => ApiError::new(
                status,
                code,
                error.error_msg().unwrap_or(error.message()).to_owned(),
            ),
            (Some(status), None) => ApiError::new(status, codes::INTERNAL, error.message()),
            (None, _) if error.kind() == ErrorKind::InvalidRequest => {
                ApiError::bad_request(codes::INVALID_PARAMETER, error.message())
            }
            (None, _) => ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                codes::INTERNAL,
                error.message(),
            ),
        }
    }
}

/// The error codes the emulator answers with (see `docs/emulator.md`).
pub mod codes {
    /// A required parameter is missing.
    pub const MISSING_PARAMETER: &str = "EMU.40001";
    /// A parameter does not parse as its type.
    pub const INVALID_PARAMETER: &str = "EMU.40002";
    /// The body is not JSON, or not JSON of the expected shape.
    pub const INVALID_BODY: &str = "EMU.40003";
    /// The multipart body cannot be read.
    pub const INVALID_FORM: &str = "EMU.40004";
    /// The request is well formed but the state refuses it (e.g. refusing a review step that
    /// is not waiting).
    pub const INVALID_STATE: &str = "EMU.40005";
    /// No such resource (pipeline, run, job, build).
    pub const NOT_FOUND: &str = "EMU.40401";
    /// No route for the path.
    pub const UNKNOWN_ROUTE: &str = "APIGW.0101";
    /// The path exists, the method does not.
    pub const METHOD_NOT_ALLOWED: &str = "APIGW.0105";
    /// An injected fault or an emulator bug.
    pub const INTERNAL: &str = "EMU.50000";
    /// An injected throttle.
    pub const THROTTLED: &str = "APIGW.0308";
    /// The budget for bodies of unauthenticated requests is spent: retry later.
    pub const BUSY: &str = "EMU.50300";
}

/// A response body produced by an operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutputBody {
    /// JSON.
    Json(Vec<u8>),
    /// Bytes of a download.
    Bytes(Bytes),
    /// Nothing.
    Empty,
}

/// What an operation answered (always a 200 here; errors are [`ApiError`]s).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// The body.
    pub body: OutputBody,
    /// True when the state performed the operation; false when it answered with the
    /// spec-conforming default because it does not model the operation.
    pub applied: bool,
}

/// A value that a path, query or header parameter or a form field can hold.
pub trait FromParam: Sized {
    /// What the value must look like, for error messages.
    const EXPECTED: &'static str;
    /// Parses the text, `None` when it does not fit.
    fn from_param(text: &str) -> Option<Self>;
}

impl FromParam for String {
    const EXPECTED: &'static str = "a string";
    fn from_param(text: &str) -> Option<Self> {
        Some(text.to_owned())
    }
}

impl FromParam for i64 {
    const EXPECTED: &'static str = "an integer";
    fn from_param(text: &str) -> Option<Self> {
        text.parse().ok()
    }
}

impl FromParam for f64 {
    const EXPECTED: &'static str = "a number";
    fn from_param(text: &str) -> Option<Self> {
        text.parse::<f64>().ok().filter(|v| v.is_finite())
    }
}

impl FromParam for bool {
    const EXPECTED: &'static str = "`true` or `false`";
    fn from_param(text: &str) -> Option<Self> {
        match text {
            "true" | "True" => Some(true),
            "false" | "False" => Some(false),
            _ => None,
        }
    }
}

impl FromParam for serde_json::Value {
    const EXPECTED: &'static str = "a value";
    fn from_param(text: &str) -> Option<Self> {
        Some(serde_json::Value::String(text.to_owned()))
    }
}

/// What arrived for one operation: matched path parameters (decoded), query pairs (decoded),
/// headers and the body.
#[derive(Debug, Clone, Default)]
pub struct Input {
    /// Path parameters by template name, percent-decoded once.
    pub path_params: Vec<(String, String)>,
    /// Query pairs in arrival order, decoded.
    pub query: Vec<(String, String)>,
    /// Headers, names lower case.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Bytes,
}

fn parse<T: FromParam>(kind: &str, name: &str, value: &str) -> Result<T, ApiError> {
    T::from_param(value).ok_or_else(|| ApiError::invalid(kind, name, value, T::EXPECTED))
}

impl Input {
    fn header_value(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// A path parameter.
    pub fn path<T: FromParam>(&self, name: &str) -> Result<T, ApiError> {
        let value = self
            .path_params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .ok_or_else(|| ApiError::missing("path", name))?;
        parse("path", name, value)
    }

    /// An optional query parameter (the first value when repeated).
    pub fn query<T: FromParam>(&self, name: &str) -> Result<Option<T>, ApiError> {
        match self.query.iter().find(|(k, _)| k == name) {
            Some((_, v)) => parse("query", name, v).map(Some),
            None => Ok(None),
        }
    }

    /// A required query parameter.
    pub fn required_query<T: FromParam>(&self, name: &str) -> Result<T, ApiError> {
        self.query(name)?
            .ok_or_else(|| ApiError::missing("query", name))
    }

    /// An optional list query parameter: every value of the repeated key.
    pub fn query_all<T: FromParam>(&self, name: &str) -> Result<Option<Vec<T>>, ApiError> {
        let values: Vec<T> = self
            .query
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| parse("query", name, v))
            .collect::<Result<_, _>>()?;
        Ok((!values.is_empty()).then_some(values))
    }

    /// A required list query parameter.
    pub fn required_query_all<T: FromParam>(&self, name: &str) -> Result<Vec<T>, ApiError> {
        self.query_all(name)?
            .ok_or_else(|| ApiError::missing("query", name))
    }

    /// An optional header parameter.
    pub fn header<T: FromParam>(&self, name: &str) -> Result<Option<T>, ApiError> {
        match self.header_value(name) {
            Some(v) => parse("header", name, v).map(Some),
            None => Ok(None),
        }
    }

    /// A required header parameter.
    pub fn required_header<T: FromParam>(&self, name: &str) -> Result<T, ApiError> {
        self.header(name)?
            .ok_or_else(|| ApiError::missing("header", name))
    }

    /// A list header parameter (comma-separated).
    pub fn header_all<T: FromParam>(&self, name: &str) -> Result<Option<Vec<T>>, ApiError> {
        match self.header_value(name) {
            Some(v) => v
                .split(',')
                .map(|item| parse("header", name, item.trim()))
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            None => Ok(None),
        }
    }

    /// A required list header parameter.
    pub fn required_header_all<T: FromParam>(&self, name: &str) -> Result<Vec<T>, ApiError> {
        self.header_all(name)?
            .ok_or_else(|| ApiError::missing("header", name))
    }

    /// The JSON body as `T`; `None` when the body is empty. Malformed JSON or JSON of the
    /// wrong shape is a 400 naming the path of the field at fault.
    pub fn json<T: DeserializeOwned>(&self) -> Result<Option<T>, ApiError> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        let mut de = serde_json::Deserializer::from_slice(&self.body);
        let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            let at = if path == "." || path.is_empty() {
                "the body".to_owned()
            } else {
                format!("the body at `{path}`")
            };
            let what = if inner.is_syntax() || inner.is_eof() {
                "is not valid JSON"
            } else {
                "does not have the expected shape"
            };
            ApiError::bad_request(codes::INVALID_BODY, format!("{at} {what}: {inner}"))
        })?;
        de.end().map_err(|e| {
            ApiError::bad_request(
                codes::INVALID_BODY,
                format!("the body has trailing data: {e}"),
            )
        })?;
        Ok(Some(value))
    }

    /// The multipart form body; `None` when the body is empty.
    pub fn multipart(&self) -> Result<Option<Form>, ApiError> {
        if self.body.is_empty() {
            return Ok(None);
        }
        let content_type = self.header_value("content-type").unwrap_or("");
        Form::parse(content_type, &self.body).map(Some)
    }
}

/// One part of a multipart form.
#[derive(Debug, Clone)]
pub struct Part {
    /// The field name.
    pub name: String,
    /// The file name, for file parts.
    pub file_name: Option<String>,
    /// The part's content type.
    pub content_type: Option<String>,
    /// The part's bytes.
    pub data: Bytes,
}

/// A parsed `multipart/form-data` body.
#[derive(Debug, Clone, Default)]
pub struct Form {
    /// The parts in order.
    pub parts: Vec<Part>,
}

fn form_error(message: impl Into<String>) -> ApiError {
    ApiError::bad_request(codes::INVALID_FORM, message)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn disposition_param(value: &str, key: &str) -> Option<String> {
    for piece in value.split(';') {
        let piece = piece.trim();
        if let Some((k, v)) = piece.split_once('=') {
            if k.trim().eq_ignore_ascii_case(key) {
                return Some(v.trim().trim_matches('"').to_owned());
            }
        }
    }
    None
}

impl Form {
    /// Parses `body` sent with `content_type` (`multipart/form-data; boundary=...`).
    pub fn parse(content_type: &str, body: &Bytes) -> Result<Form, ApiError> {
        let lower = content_type.to_ascii_lowercase();
        if !lower.starts_with("multipart/form-data") {
            return Err(form_error(format!(
                "the body must be multipart/form-data, not `{content_type}`"
            )));
        }
        let boundary = disposition_param(content_type, "boundary")
            .filter(|b| !b.is_empty())
            .ok_or_else(|| form_error("the multipart Content-Type has no boundary"))?;
        let delimiter = format!("--{boundary}").into_bytes();
        let mut rest: &[u8] = body;
        let start = find(rest, &delimiter).ok_or_else(|| form_error("no multipart boundary"))?;
        rest = &rest[start + delimiter.len()..];
        let mut parts = Vec::new();
        loop {
            if rest.starts_with(b"--") {
                break;
            }
            rest = rest
                .strip_prefix(b"\r\n")
                .ok_or_else(|| form_error("a multipart boundary is not followed by CRLF"))?;
            let head_end =
                find(rest, b"\r\n\r\n").ok_or_else(|| form_error("a part has no header end"))?;
            let head = std::str::from_utf8(&rest[..head_end])
                .map_err(|_| form_error("a part's headers are not UTF-8"))?;
            let data_start = head_end + 4;
            let mut close = b"\r\n".to_vec();
            close.extend_from_slice(&delimiter);
            let end = find(&rest[data_start..], &close)
                .ok_or_else(|| form_error("a part is not closed by the boundary"))?;
            let mut name = None;
            let mut file_name = None;
            let mut part_type = None;
            for line in head.split("\r\n") {
                let Some((k, v)) = line.split_once(':') else {
                    continue;
                };
                if k.trim().eq_ignore_ascii_case("content-disposition") {
                    name = disposition_param(v, "name");
                    file_name = disposition_param(v, "filename");
                } else if k.trim().eq_ignore_ascii_case("content-type") {
                    part_type = Some(v.trim().to_owned());
                }
            }
            let name = name.ok_or_else(|| form_error("a part has no name"))?;
            let offset = body.len() - rest.len() + data_start;
            parts.push(Part {
                name,
                file_name,
                content_type: part_type,
                data: body.slice(offset..offset + end),
            });
            rest = &rest[data_start + end + close.len()..];
        }
        Ok(Form { parts })
    }

    fn part(&self, name: &str) -> Option<&Part> {
        self.parts.iter().find(|p| p.name == name)
    }

    /// An optional file field.
    pub fn file(&self, name: &str) -> Option<FilePart> {
        self.part(name).map(|p| {
            let file = FilePart::new(
                p.file_name.clone().unwrap_or_else(|| name.to_owned()),
                p.data.to_vec(),
            );
            match &p.content_type {
                Some(ct) => file.set_content_type(ct.clone()),
                None => file,
            }
        })
    }

    /// A required file field.
    pub fn required_file(&self, name: &str) -> Result<FilePart, ApiError> {
        self.file(name)
            .ok_or_else(|| ApiError::missing("form", name))
    }

    /// An optional text field.
    pub fn text<T: FromParam>(&self, name: &str) -> Result<Option<T>, ApiError> {
        match self.part(name) {
            Some(p) => {
                let text = std::str::from_utf8(&p.data)
                    .map_err(|_| ApiError::invalid("form", name, "(bytes)", "UTF-8 text"))?;
                parse("form", name, text).map(Some)
            }
            None => Ok(None),
        }
    }

    /// A required text field.
    pub fn required_text<T: FromParam>(&self, name: &str) -> Result<T, ApiError> {
        self.text(name)?
            .ok_or_else(|| ApiError::missing("form", name))
    }
}

/// Encodes a JSON answer; when the state does not model the operation, `fallback()` (the
/// response with no field set) is the answer.
pub fn json<T: Serialize>(
    result: Result<T, Error>,
    fallback: impl FnOnce() -> T,
) -> Result<Output, ApiError> {
    let (value, applied) = match result {
        Ok(v) => (v, true),
        Err(e) if e.kind() == ErrorKind::Unimplemented => (fallback(), false),
        Err(e) => return Err(ApiError::from_error(&e)),
    };
    let body = serde_json::to_vec(&value).map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            codes::INTERNAL,
            format!("cannot encode the answer: {e}"),
        )
    })?;
    Ok(Output {
        body: OutputBody::Json(body),
        applied,
    })
}

/// The generated sample answer `text` as the response type; `or()` if it does not decode,
/// which the generated `every_sample_answer_is_of_its_response_type` test rules out.
pub fn answer<T: DeserializeOwned>(text: &str, or: impl FnOnce() -> T) -> T {
    serde_json::from_str(text).unwrap_or_else(|e| {
        tracing::error!("a generated sample answer does not decode: {e}");
        or()
    })
}

/// Test support: `text` decodes into `T` and encodes back to the same JSON.
#[cfg(test)]
pub fn check_answer<T: DeserializeOwned + Serialize>(op: &str, text: &str) {
    let sent: serde_json::Value = serde_json::from_str(text).expect("the sample is JSON");
    let decoded: T = serde_json::from_str(text)
        .unwrap_or_else(|e| panic!("{op}: the sample does not decode: {e}\n{text}"));
    let again = serde_json::to_value(&decoded).expect("the answer encodes");
    assert_eq!(
        again, sent,
        "{op}: the sample does not survive a round trip"
    );
}

/// An answer without a body.
pub fn empty<T>(result: Result<T, Error>) -> Result<Output, ApiError> {
    let applied = match result {
        Ok(_) => true,
        Err(e) if e.kind() == ErrorKind::Unimplemented => false,
        Err(e) => return Err(ApiError::from_error(&e)),
    };
    Ok(Output {
        body: OutputBody::Empty,
        applied,
    })
}

/// The largest download the emulator buffers.
const STREAM_LIMIT: usize = 64 << 20;

/// A download; empty bytes when the state does not model it.
pub async fn stream(result: Result<StreamingResponse, Error>) -> Result<Output, ApiError> {
    match result {
        Ok(response) => {
            let bytes = response
                .body
                .collect(STREAM_LIMIT)
                .await
                .map_err(|e| ApiError::from_error(&e))?;
            Ok(Output {
                body: OutputBody::Bytes(bytes),
                applied: true,
            })
        }
        Err(e) if e.kind() == ErrorKind::Unimplemented => Ok(Output {
            body: OutputBody::Bytes(Bytes::new()),
            applied: false,
        }),
        Err(e) => Err(ApiError::from_error(&e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipart_round_trip() {
        let (ct, bytes) = codearts_transport::multipart::Form::new()
            .text("privacy", "private")
            .file(
                "file",
                "k.jks",
                Some("application/x-java"),
                b"\x00bin\r\n--x",
            )
            .finish();
        let form = Form::parse(&ct, &bytes).unwrap();
        assert_eq!(form.required_text::<String>("privacy").unwrap(), "private");
        let f = form.required_file("file").unwrap();
        assert_eq!(f.file_name, "k.jks");
        assert_eq!(f.data, b"\x00bin\r\n--x");
        assert!(form.required_text::<String>("description").is_err());
    }

    #[test]
    fn parameters_name_themselves() {
        let input = Input {
            query: vec![("page_index".into(), "x".into())],
            ..Input::default()
        };
        let err = input.required_query::<i64>("page_index").unwrap_err();
        assert_eq!(err.status, StatusCode::BAD_REQUEST);
        assert!(err.message.contains("page_index"));
        let err = input.required_query::<i64>("page_size").unwrap_err();
        assert_eq!(err.code, codes::MISSING_PARAMETER);
    }
}
