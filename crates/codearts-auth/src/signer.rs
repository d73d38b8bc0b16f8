//! `SDK-HMAC-SHA256` request signing, as a pure function.
//!
//! [`sign`] takes a request, a key pair and a time and returns every intermediate stage and the
//! headers to add; it touches no clock and no network. Its output is byte-identical to the
//! official Huawei Cloud signers' (the test vectors in `tests/fixtures/signer` were produced by
//! the official Python SDK). The canonicalization steps are public so a verifier can reuse them.
//!
//! The canonical request is
//!
//! ```text
//! METHOD\nCANONICAL_URI\nCANONICAL_QUERY\nCANONICAL_HEADERS\nSIGNED_HEADERS\nPAYLOAD_HASH
//! ```
//!
//! where the canonical URI is the decoded path re-encoded segment by segment and always ending
//! in `/`, the canonical query is the decoded pairs sorted and re-encoded, each canonical header
//! is `name:trimmed value\n`, and the signed headers are every header name without `_`, lower
//! case, sorted, joined by `;`.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use codearts_transport::encoding::{canonical_query, decode, encode, parse_query};
use codearts_transport::Error;
use http::header::{HeaderName, HeaderValue, AUTHORIZATION, CONTENT_TYPE, HOST};
use http::{HeaderMap, Uri};
use ring::{digest, hmac};
use secrecy::ExposeSecret;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};

use crate::credentials::{AkSkCredentials, Redacted};

/// The algorithm name, first word of the `Authorization` header and first line of the string
/// to sign.
pub const ALGORITHM: &str = "SDK-HMAC-SHA256";

/// The hex SHA-256 of an empty body.
pub const EMPTY_HASH: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// The payload hash that stands for "body not signed".
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// The header carrying the signing time, `YYYYMMDDTHHMMSSZ` in UTC.
pub const X_SDK_DATE: HeaderName = HeaderName::from_static("x-sdk-date");

/// The header that replaces the body hash (`UNSIGNED-PAYLOAD`).
pub const X_SDK_CONTENT_SHA256: HeaderName = HeaderName::from_static("x-sdk-content-sha256");

/// The header carrying the security token of temporary credentials.
pub const X_SECURITY_TOKEN: HeaderName = HeaderName::from_static("x-security-token");

/// The header carrying the project id of project-scoped AK/SK credentials.
pub const X_PROJECT_ID: HeaderName = HeaderName::from_static("x-project-id");

/// The header carrying the domain id of account-scoped AK/SK credentials.
pub const X_DOMAIN_ID: HeaderName = HeaderName::from_static("x-domain-id");

/// The parts of a request that are signed.
#[derive(Debug, Clone, Copy)]
pub struct SigningRequest<'a> {
    /// The HTTP method.
    pub method: &'a str,
    /// The URI as sent: path and query already percent-encoded; the authority gives `Host`
    /// when the headers have none.
    pub uri: &'a Uri,
    /// The headers the request will carry.
    pub headers: &'a HeaderMap,
    /// The body.
    pub body: &'a [u8],
}

impl<'a> SigningRequest<'a> {
    /// The signed parts of a transport request.
    pub fn from_request(request: &'a codearts_transport::Request) -> Self {
        SigningRequest {
            method: request.method().as_str(),
            uri: request.uri(),
            headers: request.headers(),
            body: request.body(),
        }
    }
}

/// The result of signing: every intermediate stage and the headers to add to the request.
#[derive(Clone, PartialEq, Eq)]
pub struct Signature {
    /// The canonical request that was hashed.
    pub canonical_request: String,
    /// The string that was signed.
    pub string_to_sign: String,
    /// The hex HMAC-SHA256 of the string to sign.
    pub signature: String,
    /// The signed header names, lower case, sorted.
    pub signed_headers: Vec<String>,
    /// The headers to set on the request, in the order the official signer adds them:
    /// `X-Project-Id`, `X-Domain-Id`, `X-Security-Token`, `X-Sdk-Content-Sha256`, `X-Sdk-Date`,
    /// `Host` (each only when needed) and `Authorization`. Secret values are marked sensitive.
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

impl Signature {
    /// The `Authorization` header value.
    pub fn authorization(&self) -> Option<&HeaderValue> {
        self.headers
            .iter()
            .find(|(name, _)| name == AUTHORIZATION)
            .map(|(_, value)| value)
    }

    /// Sets the headers of this signature on `headers`, replacing values already there.
    pub fn apply(&self, headers: &mut HeaderMap) {
        for (name, value) in &self.headers {
            headers.insert(name.clone(), value.clone());
        }
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Headers<'a>(&'a [(HeaderName, HeaderValue)]);
        impl fmt::Debug for Headers<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let mut list = f.debug_list();
                for (name, value) in self.0 {
                    if value.is_sensitive() {
                        list.entry(&(name, Redacted));
                    } else {
                        list.entry(&(name, value));
                    }
                }
                list.finish()
            }
        }
        // The canonical request lists signed header values, which include a security token.
        f.debug_struct("Signature")
            .field("canonical_request", &Redacted)
            .field("string_to_sign", &self.string_to_sign)
            .field("signature", &self.signature)
            .field("signed_headers", &self.signed_headers)
            .field("headers", &Headers(&self.headers))
            .finish()
    }
}

/// Signs `request` with `credentials` at `time`, unless the request already carries an
/// `X-Sdk-Date`, which is then used as the signing time (as the official signer does).
///
/// Fails with [`ErrorKind::InvalidRequest`] when the request has no host (neither a `Host`
/// header nor a URI authority), when its `X-Sdk-Date` is not `YYYYMMDDTHHMMSSZ`, or when `time`
/// is before 1970 or after 9999.
///
/// [`ErrorKind::InvalidRequest`]: codearts_transport::ErrorKind::InvalidRequest
pub fn sign(
    request: &SigningRequest<'_>,
    credentials: &AkSkCredentials,
    time: SystemTime,
) -> Result<Signature, Error> {
    let mut headers = request.headers.clone();
    let mut added: Vec<(HeaderName, HeaderValue)> = Vec::new();
    let mut add = |headers: &mut HeaderMap, name: HeaderName, value: HeaderValue| {
        headers.insert(name.clone(), value.clone());
        added.push((name, value));
    };

    // Added by the official credentials before the signer runs: signed.
    if let Some(id) = credentials.project_id() {
        add(
            &mut headers,
            X_PROJECT_ID,
            header_value("X-Project-Id", id)?,
        );
    }
    if let Some(id) = credentials.domain_id() {
        add(&mut headers, X_DOMAIN_ID, header_value("X-Domain-Id", id)?);
    }
    if let Some(token) = credentials.security_token() {
        let mut value = header_value("X-Security-Token", token.expose_secret())?;
        value.set_sensitive(true);
        add(&mut headers, X_SECURITY_TOKEN, value);
    }

    if needs_unsigned_payload(&headers) {
        add(
            &mut headers,
            X_SDK_CONTENT_SHA256,
            HeaderValue::from_static(UNSIGNED_PAYLOAD),
        );
    }

    let date = match headers.get(X_SDK_DATE) {
        Some(value) => {
            let text = value.to_str().ok().filter(|t| is_sdk_date(t));
            text.ok_or_else(|| {
                Error::invalid_request(
                    "the request's X-Sdk-Date header is not a time of the form YYYYMMDDTHHMMSSZ",
                )
            })?
            .to_owned()
        }
        None => {
            let date = format_sdk_date(time)?;
            add(&mut headers, X_SDK_DATE, header_value("X-Sdk-Date", &date)?);
            date
        }
    };

    if !headers.contains_key(HOST) {
        let authority = request.uri.authority().ok_or_else(|| {
            Error::invalid_request("cannot sign a request without a host: the URI has no authority and there is no Host header")
        })?;
        add(
            &mut headers,
            HOST,
            header_value("Host", authority.as_str())?,
        );
    }

    let signed = signed_headers(&headers);
    let hash = payload_hash(&headers, request.body);
    let canonical = canonical_request(request.method, request.uri, &headers, &signed, &hash);
    let to_sign = string_to_sign(&date, &canonical);
    let signature = hmac_hex(credentials.sk().expose_secret().as_bytes(), &to_sign);
    let authorization = authorization_value(credentials.ak(), &signed, &signature);
    let mut authorization = header_value("Authorization", &authorization)?;
    authorization.set_sensitive(true);
    added.push((AUTHORIZATION, authorization));

    Ok(Signature {
        canonical_request: canonical,
        string_to_sign: to_sign,
        signature,
        signed_headers: signed,
        headers: added,
    })
}

fn header_value(name: &str, value: &str) -> Result<HeaderValue, Error> {
    HeaderValue::from_bytes(value.as_bytes()).map_err(|_| {
        Error::invalid_request(format!(
            "the value of the {name} header contains characters a header cannot carry"
        ))
    })
}

/// True when the official signer would mark the body unsigned: a `Content-Type` is set and
/// starts with neither `application/json` nor `application/bson` (compared untrimmed).
///
/// The Python signer looks the header up by the exact name `Content-Type`, so a request it is
/// given with a lower-case `content-type` keeps a hashed body. Header names here are
/// case-insensitive, so this always follows the `Content-Type` spelling, which is the one the
/// official clients send.
pub fn needs_unsigned_payload(headers: &HeaderMap) -> bool {
    match headers.get(CONTENT_TYPE) {
        Some(value) => {
            let value = value.as_bytes();
            !value.is_empty()
                && !value.starts_with(b"application/json")
                && !value.starts_with(b"application/bson")
        }
        None => false,
    }
}

/// The `Authorization` header value:
/// `SDK-HMAC-SHA256 Access=<ak>, SignedHeaders=<a;b>, Signature=<hex>`.
pub fn authorization_value(ak: &str, signed_headers: &[String], signature: &str) -> String {
    format!(
        "{ALGORITHM} Access={ak}, SignedHeaders={}, Signature={signature}",
        signed_headers.join(";")
    )
}

/// The canonical URI of an encoded `path`: decoded, split on `/`, each segment re-encoded
/// (everything but `A-Z a-z 0-9 - . _ ~`), joined with `/`, with a trailing `/` added if
/// missing. An encoded `/` (`%2F`) therefore becomes a separator.
pub fn canonical_uri(path: &str) -> String {
    let decoded = decode(path);
    let mut out = String::with_capacity(decoded.len() + 1);
    for (i, segment) in decoded.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        out.push_str(&encode(segment));
    }
    if !out.ends_with('/') {
        out.push('/');
    }
    out
}

/// The canonical query of an encoded query string (without `?`): the decoded pairs sorted by
/// key then value, re-encoded, `k=v` joined by `&`. A key without `=` has an empty value.
pub fn canonical_query_string(query: Option<&str>) -> String {
    match query {
        Some(query) => canonical_query(&parse_query(query)),
        None => String::new(),
    }
}

/// The names the signer signs: every header name without `_`, lower case, sorted.
pub fn signed_headers(headers: &HeaderMap) -> Vec<String> {
    let mut names: Vec<String> = headers
        .keys()
        .map(HeaderName::as_str)
        .filter(|name| !name.contains('_'))
        .map(str::to_owned)
        .collect();
    names.sort_unstable();
    names
}

/// The canonical value of one header: the value trimmed of whitespace (as Python's
/// `str.strip`), invalid UTF-8 replaced. Several values of one name are joined with `,`
/// (the official signers' requests never carry a name twice).
pub fn canonical_header_value(headers: &HeaderMap, name: &str) -> String {
    let mut out = String::new();
    for (i, value) in headers.get_all(name).iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(python_strip(&String::from_utf8_lossy(value.as_bytes())));
    }
    out
}

/// Trims what Python's `str.strip()` trims: Unicode white space plus U+001C..U+001F.
fn python_strip(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c))
}

/// The payload hash: [`EMPTY_HASH`] for an empty body, else the (trimmed, non-empty)
/// `X-Sdk-Content-Sha256` header value when present, else the hex SHA-256 of the body.
pub fn payload_hash(headers: &HeaderMap, body: &[u8]) -> String {
    if body.is_empty() {
        return EMPTY_HASH.to_owned();
    }
    let declared = canonical_header_value(headers, X_SDK_CONTENT_SHA256.as_str());
    if !declared.is_empty() {
        return declared;
    }
    sha256_hex(body)
}

/// The canonical request over `signed_headers` (see [`signed_headers`]), with the payload hash
/// from [`payload_hash`]. A signed name missing from `headers` gets an empty value.
pub fn canonical_request(
    method: &str,
    uri: &Uri,
    headers: &HeaderMap,
    signed_headers: &[String],
    payload_hash: &str,
) -> String {
    let mut out = String::new();
    out.push_str(&method.to_uppercase());
    out.push('\n');
    out.push_str(&canonical_uri(uri.path()));
    out.push('\n');
    out.push_str(&canonical_query_string(uri.query()));
    out.push('\n');
    for name in signed_headers {
        out.push_str(name);
        out.push(':');
        out.push_str(&canonical_header_value(headers, name));
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&signed_headers.join(";"));
    out.push('\n');
    out.push_str(payload_hash);
    out
}

/// The string to sign: `SDK-HMAC-SHA256\n<date>\n<hex sha256(canonical request)>`.
pub fn string_to_sign(sdk_date: &str, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{sdk_date}\n{}",
        sha256_hex(canonical_request.as_bytes())
    )
}

/// The hex HMAC-SHA256 of `data` under `key`.
pub fn hmac_hex(key: &[u8], data: &str) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, key);
    hex::encode(hmac::sign(&key, data.as_bytes()).as_ref())
}

/// The hex SHA-256 of `data`.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(digest::digest(&digest::SHA256, data).as_ref())
}

/// Formats `time` as an `X-Sdk-Date` (`YYYYMMDDTHHMMSSZ`, UTC); a time before 1970 or after
/// 9999 is an [`ErrorKind::InvalidRequest`] error.
///
/// [`ErrorKind::InvalidRequest`]: codearts_transport::ErrorKind::InvalidRequest
pub fn format_sdk_date(time: SystemTime) -> Result<String, Error> {
    let out_of_range = || Error::invalid_request("the signing time is before 1970 or after 9999");
    let secs = time
        .duration_since(UNIX_EPOCH)
        .map_err(|_| out_of_range())?
        .as_secs();
    let secs = i64::try_from(secs).map_err(|_| out_of_range())?;
    let dt = OffsetDateTime::from_unix_timestamp(secs).map_err(|_| out_of_range())?;
    dt.format(format_description!(
        "[year][month][day]T[hour][minute][second]Z"
    ))
    .map_err(|_| out_of_range())
}

/// Parses an `X-Sdk-Date` (`YYYYMMDDTHHMMSSZ`, UTC).
pub fn parse_sdk_date(value: &str) -> Option<SystemTime> {
    if value.len() != 16 || !value.is_ascii() {
        return None;
    }
    let dt = PrimitiveDateTime::parse(
        value,
        format_description!("[year][month][day]T[hour][minute][second]Z"),
    )
    .ok()?
    .assume_utc();
    let secs = u64::try_from(dt.unix_timestamp()).ok()?;
    UNIX_EPOCH.checked_add(std::time::Duration::from_secs(secs))
}

fn is_sdk_date(value: &str) -> bool {
    parse_sdk_date(value).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_uri_reencodes_segments() {
        assert_eq!(canonical_uri("/v1/job/permission"), "/v1/job/permission/");
        assert_eq!(canonical_uri("/a/"), "/a/");
        assert_eq!(canonical_uri("/a%2Fb/c"), "/a/b/c/");
        assert_eq!(canonical_uri("/%E6%B5%81 x"), "/%E6%B5%81%20x/");
        assert_eq!(canonical_uri("/"), "/");
    }

    #[test]
    fn sdk_dates_round_trip() {
        let t = UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
        let s = format_sdk_date(t).unwrap();
        assert_eq!(s, "20231114T221320Z");
        assert_eq!(parse_sdk_date(&s), Some(t));
        assert!(parse_sdk_date("2023-11-14T22:13:20Z").is_none());
        assert!(parse_sdk_date("20231114T221320").is_none());
        assert!(format_sdk_date(UNIX_EPOCH - std::time::Duration::from_secs(1)).is_err());
    }

    #[test]
    fn python_strip_trims_unicode_space() {
        assert_eq!(python_strip("\u{a0} a b\t\u{3000}"), "a b");
    }

    #[test]
    fn bad_x_sdk_date_is_an_error_not_a_panic() {
        let creds = AkSkCredentials::new("ak", "sk").unwrap();
        let uri: Uri = "https://h/x".parse().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(X_SDK_DATE, HeaderValue::from_static("yesterday"));
        let req = SigningRequest {
            method: "GET",
            uri: &uri,
            headers: &headers,
            body: b"",
        };
        let err = sign(&req, &creds, SystemTime::UNIX_EPOCH).unwrap_err();
        assert_eq!(err.kind(), codearts_transport::ErrorKind::InvalidRequest);
    }

    #[test]
    fn no_host_is_an_error() {
        let creds = AkSkCredentials::new("ak", "sk").unwrap();
        let uri: Uri = "/x".parse().unwrap();
        let headers = HeaderMap::new();
        let req = SigningRequest {
            method: "GET",
            uri: &uri,
            headers: &headers,
            body: b"",
        };
        assert!(sign(&req, &creds, SystemTime::UNIX_EPOCH).is_err());
    }
}
