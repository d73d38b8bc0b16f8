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

use codearts_transport::encoding::{canonical_query, decode, parse_query, ESCAPED};
use codearts_transport::Error;
use http::header::{HeaderName, HeaderValue, AUTHORIZATION, CONTENT_TYPE, HOST};
use http::{HeaderMap, Uri};
use percent_encoding::utf8_percent_encode;
use ring::{digest, hmac};
use secrecy::ExposeSecret;
use time::macros::format_description;
use time::PrimitiveDateTime;

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
    /// The signed header names, lower case, sorted, joined by `;` (as in `SignedHeaders=`).
    pub signed_headers: String,
    /// The headers to set on the request, in the order the official signer adds them:
    /// `X-Project-Id`, `X-Domain-Id`, `X-Security-Token`, `X-Sdk-Content-Sha256`, `X-Sdk-Date`,
    /// `Host` (each only when needed) and `Authorization`. Secret values are marked sensitive.
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

impl Signature {
    /// The signed header names one by one.
    pub fn signed_header_names(&self) -> impl Iterator<Item = &str> {
        self.signed_headers.split(';').filter(|n| !n.is_empty())
    }

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
    // The headers the signer adds, in the official order. The request's own headers are never
    // copied: the canonical form reads both lists side by side (an added name wins).
    let mut added: Vec<(HeaderName, HeaderValue)> = Vec::with_capacity(7);
    if let Some(value) = credentials.project_id_header()? {
        added.push((X_PROJECT_ID, value.clone()));
    }
    if let Some(value) = credentials.domain_id_header()? {
        added.push((X_DOMAIN_ID, value.clone()));
    }
    if let Some(token) = credentials.security_token() {
        let mut value = header_value("X-Security-Token", token.expose_secret())?;
        value.set_sensitive(true);
        added.push((X_SECURITY_TOKEN, value));
    }
    let content_type = lookup(request.headers, &added, CONTENT_TYPE.as_str());
    if content_type.is_some_and(|v| is_unsigned_content_type(v.as_bytes())) {
        added.push((
            X_SDK_CONTENT_SHA256,
            HeaderValue::from_static(UNSIGNED_PAYLOAD),
        ));
    }

    let mut date_buf = [0u8; 16];
    let date: &str = match request.headers.get(X_SDK_DATE) {
        Some(value) => value
            .to_str()
            .ok()
            .filter(|t| is_sdk_date(t))
            .ok_or_else(|| {
                Error::invalid_request(
                    "the request's X-Sdk-Date header is not a time of the form YYYYMMDDTHHMMSSZ",
                )
            })?,
        None => {
            let date = write_sdk_date(time, &mut date_buf)?;
            added.push((X_SDK_DATE, header_value("X-Sdk-Date", date)?));
            date
        }
    };

    if !request.headers.contains_key(HOST) {
        let authority = request.uri.authority().ok_or_else(|| {
            Error::invalid_request("cannot sign a request without a host: the URI has no authority and there is no Host header")
        })?;
        added.push((HOST, header_value("Host", authority.as_str())?));
    }

    let entries = SignedEntries::collect(request.headers, &added);
    let mut signed = String::with_capacity(entries.joined_len());
    entries.join_names_into(&mut signed);

    let mut hash_buf = [0u8; 64];
    let hash = payload_hash_into(request.headers, &added, request.body, &mut hash_buf);

    let mut canonical = String::with_capacity(canonical_capacity(request, &added, hash.len()));
    write_canonical_request(
        &mut canonical,
        request.method,
        request.uri,
        |out| entries.write_canonical_headers(out),
        &signed,
        &hash,
    );

    let mut to_sign = String::with_capacity(ALGORITHM.len() + date.len() + 66);
    to_sign.push_str(ALGORITHM);
    to_sign.push('\n');
    to_sign.push_str(date);
    to_sign.push('\n');
    let digest = digest::digest(&digest::SHA256, canonical.as_bytes());
    push_hex(&mut to_sign, digest.as_ref());

    let tag = hmac::sign(credentials.signing_key(), to_sign.as_bytes());
    let mut signature = String::with_capacity(64);
    push_hex(&mut signature, tag.as_ref());

    let ak = credentials.ak();
    let mut authorization =
        String::with_capacity(ALGORITHM.len() + ak.len() + signed.len() + signature.len() + 36);
    write_authorization(&mut authorization, ak, &signed, &signature);
    let mut authorization = HeaderValue::from_maybe_shared(bytes::Bytes::from(authorization))
        .map_err(|_| {
            Error::invalid_request(
                "the value of the Authorization header contains characters a header cannot carry",
            )
        })?;
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

/// The value of `name` as the signed request will carry it: an added header wins.
fn lookup<'a>(
    headers: &'a HeaderMap,
    added: &'a [(HeaderName, HeaderValue)],
    name: &str,
) -> Option<&'a HeaderValue> {
    added
        .iter()
        .find(|(n, _)| n.as_str() == name)
        .map(|(_, v)| v)
        .or_else(|| headers.get(name))
}

/// True when the official signer would mark the body unsigned: a `Content-Type` is set and
/// starts with neither `application/json` nor `application/bson` (compared untrimmed).
///
/// The Python signer looks the header up by the exact name `Content-Type`, so a request it is
/// given with a lower-case `content-type` keeps a hashed body. Header names here are
/// case-insensitive, so this always follows the `Content-Type` spelling, which is the one the
/// official clients send.
pub fn needs_unsigned_payload(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .is_some_and(|value| is_unsigned_content_type(value.as_bytes()))
}

fn is_unsigned_content_type(value: &[u8]) -> bool {
    !value.is_empty()
        && !value.starts_with(b"application/json")
        && !value.starts_with(b"application/bson")
}

/// The `Authorization` header value:
/// `SDK-HMAC-SHA256 Access=<ak>, SignedHeaders=<a;b>, Signature=<hex>`.
pub fn authorization_value(ak: &str, signed_headers: &str, signature: &str) -> String {
    let mut out = String::new();
    write_authorization(&mut out, ak, signed_headers, signature);
    out
}

fn write_authorization(out: &mut String, ak: &str, signed_headers: &str, signature: &str) {
    out.push_str(ALGORITHM);
    out.push_str(" Access=");
    out.push_str(ak);
    out.push_str(", SignedHeaders=");
    out.push_str(signed_headers);
    out.push_str(", Signature=");
    out.push_str(signature);
}

/// The canonical URI of an encoded `path`: decoded, split on `/`, each segment re-encoded
/// (everything but `A-Z a-z 0-9 - . _ ~`), joined with `/`, with a trailing `/` added if
/// missing. An encoded `/` (`%2F`) therefore becomes a separator.
pub fn canonical_uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 1);
    write_canonical_uri(&mut out, path);
    out
}

fn write_canonical_uri(out: &mut String, path: &str) {
    let start = out.len();
    if path.bytes().all(|b| b == b'/' || is_unreserved(b)) {
        out.push_str(path);
    } else if path.contains('%') {
        // Decoding may create separators (`%2F`), so decode the whole path first.
        let decoded = decode(path);
        write_segments(out, &decoded);
    } else {
        write_segments(out, path);
    }
    if out.len() == start || !out.ends_with('/') {
        out.push('/');
    }
}

fn write_segments(out: &mut String, decoded: &str) {
    for (i, segment) in decoded.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        push_encoded(out, segment);
    }
}

fn push_encoded(out: &mut String, component: &str) {
    if component.bytes().all(is_unreserved) {
        out.push_str(component);
        return;
    }
    for chunk in utf8_percent_encode(component, ESCAPED) {
        out.push_str(chunk);
    }
}

/// The canonical query of an encoded query string (without `?`): the decoded pairs sorted by
/// key then value, re-encoded, `k=v` joined by `&`. A key without `=` has an empty value.
pub fn canonical_query_string(query: Option<&str>) -> String {
    let mut out = String::new();
    if let Some(query) = query {
        write_canonical_query(&mut out, query);
    }
    out
}

/// Query pairs sorted without a heap allocation for the usual handful.
const INLINE_PAIRS: usize = 16;

fn write_canonical_query(out: &mut String, query: &str) {
    let mut inline: [(&str, &str); INLINE_PAIRS] = [("", ""); INLINE_PAIRS];
    let mut spill: Vec<(&str, &str)> = Vec::new();
    let mut len = 0;
    for part in query.split('&').filter(|p| !p.is_empty()) {
        let pair = part.split_once('=').unwrap_or((part, ""));
        if !is_canonical_ascii(pair.0) || !is_canonical_ascii(pair.1) {
            // Escapes that re-encoding would change, or non-ASCII text: decode everything
            // first (the general path, which allocates).
            out.push_str(&canonical_query(&parse_query(query)));
            return;
        }
        if len < INLINE_PAIRS {
            inline[len] = pair;
        } else {
            if spill.is_empty() {
                spill.extend_from_slice(&inline);
            }
            spill.push(pair);
        }
        len += 1;
    }
    let pairs: &mut [(&str, &str)] = if len > INLINE_PAIRS {
        &mut spill
    } else {
        &mut inline[..len]
    };
    // Sorted by the decoded text, as the general path sorts; each component is already in
    // its canonical form, so it is written as it came.
    pairs.sort_unstable_by(|a, b| decoded_cmp(a.0, b.0).then_with(|| decoded_cmp(a.1, b.1)));
    for (i, (key, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(key);
        out.push('=');
        out.push_str(value);
    }
}

/// Compares two components by their decoded bytes (which is how decoded text sorts).
fn decoded_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    if a.contains('%') || b.contains('%') {
        let decoded = percent_encoding::percent_decode_str;
        decoded(a).cmp(decoded(b))
    } else {
        a.cmp(b)
    }
}

/// True when decoding then re-encoding `component` gives it back unchanged, and it decodes to
/// ASCII: only unreserved characters and upper-case `%XX` escapes of bytes that must be
/// escaped.
fn is_canonical_ascii(component: &str) -> bool {
    let bytes = component.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let hex = |c: u8| match c {
                b'0'..=b'9' => Some(c - b'0'),
                b'A'..=b'F' => Some(c - b'A' + 10),
                _ => None,
            };
            let (Some(hi), Some(lo)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            ) else {
                return false;
            };
            let decoded = hi << 4 | lo;
            if decoded >= 0x80 || is_unreserved(decoded) {
                return false;
            }
            i += 3;
        } else if is_unreserved(b) {
            i += 1;
        } else {
            return false;
        }
    }
    true
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// The names the signer signs: every header name without `_`, lower case, sorted, joined by
/// `;` (the form of the `SignedHeaders` field).
pub fn signed_headers(headers: &HeaderMap) -> String {
    let entries = SignedEntries::collect(headers, &[]);
    let mut out = String::with_capacity(entries.joined_len());
    entries.join_names_into(&mut out);
    out
}

/// The signed headers (name and value, every value of a repeated name), sorted by name with
/// the values of one name in order, without a heap allocation for the usual dozen. An added
/// header replaces the request's header of the same name.
struct SignedEntries<'a> {
    inline: [Option<Entry<'a>>; INLINE_ENTRIES],
    spill: Vec<Entry<'a>>,
    len: usize,
}

type Entry<'a> = (&'a HeaderName, &'a HeaderValue);

const INLINE_ENTRIES: usize = 24;

impl<'a> SignedEntries<'a> {
    fn collect(headers: &'a HeaderMap, added: &'a [(HeaderName, HeaderValue)]) -> Self {
        let mut entries = SignedEntries {
            inline: [None; INLINE_ENTRIES],
            spill: Vec::new(),
            len: 0,
        };
        for (name, value) in headers {
            if !added.iter().any(|(n, _)| n == name) {
                entries.push((name, value));
            }
        }
        for (name, value) in added {
            entries.push((name, value));
        }
        // Insertion sort: stable (a repeated name keeps its values in order), no allocation,
        // and the fastest sort for a dozen entries.
        let len = entries.len;
        if len > INLINE_ENTRIES {
            entries.spill.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
        } else {
            let slice = &mut entries.inline[..len];
            for i in 1..slice.len() {
                let mut j = i;
                while j > 0 && name_of(&slice[j - 1]) > name_of(&slice[j]) {
                    slice.swap(j - 1, j);
                    j -= 1;
                }
            }
        }
        entries
    }

    fn push(&mut self, entry: Entry<'a>) {
        if entry.0.as_str().as_bytes().contains(&b'_') {
            return;
        }
        if self.len < INLINE_ENTRIES {
            self.inline[self.len] = Some(entry);
        } else {
            if self.spill.is_empty() {
                self.spill.extend(self.inline.iter().flatten().copied());
            }
            self.spill.push(entry);
        }
        self.len += 1;
    }

    fn iter(&self) -> impl Iterator<Item = Entry<'a>> + '_ {
        let (inline, spill) = if self.len > INLINE_ENTRIES {
            (&self.inline[..0], &self.spill[..])
        } else {
            (&self.inline[..self.len], &self.spill[..0])
        };
        inline
            .iter()
            .flatten()
            .copied()
            .chain(spill.iter().copied())
    }

    /// The distinct names, in order.
    fn names(&self) -> impl Iterator<Item = &'a str> + '_ {
        let mut last: Option<&str> = None;
        self.iter().filter_map(move |(name, _)| {
            let name = name.as_str();
            (last != Some(name)).then(|| {
                last = Some(name);
                name
            })
        })
    }

    fn joined_len(&self) -> usize {
        self.names().map(|n| n.len() + 1).sum::<usize>()
    }

    fn join_names_into(&self, out: &mut String) {
        for (i, name) in self.names().enumerate() {
            if i > 0 {
                out.push(';');
            }
            out.push_str(name);
        }
    }

    /// `name:value\n` per name, the values of a repeated name joined with `,`.
    fn write_canonical_headers(&self, out: &mut String) {
        let mut last: Option<&str> = None;
        for (name, value) in self.iter() {
            let name = name.as_str();
            if last == Some(name) {
                out.push(',');
            } else {
                if last.is_some() {
                    out.push('\n');
                }
                out.push_str(name);
                out.push(':');
                last = Some(name);
            }
            push_stripped(out, value);
        }
        if last.is_some() {
            out.push('\n');
        }
    }
}

fn name_of<'a>(entry: &Option<Entry<'a>>) -> &'a str {
    entry.map_or("", |(name, _)| name.as_str())
}

/// The canonical value of one header: the value trimmed of whitespace (as Python's
/// `str.strip`), invalid UTF-8 replaced. Several values of one name are joined with `,`
/// (the official signers' requests never carry a name twice).
pub fn canonical_header_value(headers: &HeaderMap, name: &str) -> String {
    let mut out = String::new();
    write_header_value(headers, &[], name, &mut out);
    out
}

fn write_header_value(
    headers: &HeaderMap,
    added: &[(HeaderName, HeaderValue)],
    name: &str,
    out: &mut String,
) {
    if let Some((_, value)) = added.iter().find(|(n, _)| n.as_str() == name) {
        push_stripped(out, value);
        return;
    }
    for (i, value) in headers.get_all(name).iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_stripped(out, value);
    }
}

fn push_stripped(out: &mut String, value: &HeaderValue) {
    match std::str::from_utf8(value.as_bytes()) {
        Ok(text) => out.push_str(python_strip(text)),
        Err(_) => out.push_str(python_strip(&String::from_utf8_lossy(value.as_bytes()))),
    }
}

/// Trims what Python's `str.strip()` trims: Unicode white space plus U+001C..U+001F.
fn python_strip(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c))
}

/// The payload hash: [`EMPTY_HASH`] for an empty body, else the (trimmed, non-empty)
/// `X-Sdk-Content-Sha256` header value when present, else the hex SHA-256 of the body.
pub fn payload_hash(headers: &HeaderMap, body: &[u8]) -> String {
    let mut buf = [0u8; 64];
    payload_hash_into(headers, &[], body, &mut buf).into_owned()
}

fn payload_hash_into<'a>(
    headers: &'a HeaderMap,
    added: &'a [(HeaderName, HeaderValue)],
    body: &[u8],
    buf: &'a mut [u8; 64],
) -> std::borrow::Cow<'a, str> {
    if body.is_empty() {
        return EMPTY_HASH.into();
    }
    let declared = match added.iter().find(|(n, _)| n == X_SDK_CONTENT_SHA256) {
        Some(_) => Some(UNSIGNED_PAYLOAD.into()),
        None => {
            let mut value = String::new();
            write_header_value(headers, &[], X_SDK_CONTENT_SHA256.as_str(), &mut value);
            (!value.is_empty()).then_some(value.into())
        }
    };
    if let Some(declared) = declared {
        return declared;
    }
    let digest = digest::digest(&digest::SHA256, body);
    hex_into(digest.as_ref(), buf).into()
}

/// Room for the canonical request, so it is built in one allocation.
fn canonical_capacity(
    request: &SigningRequest<'_>,
    added: &[(HeaderName, HeaderValue)],
    hash_len: usize,
) -> usize {
    let headers: usize = request
        .headers
        .iter()
        .map(|(n, v)| 2 * n.as_str().len() + v.len() + 3)
        .chain(
            added
                .iter()
                .map(|(n, v)| 2 * n.as_str().len() + v.len() + 3),
        )
        .sum();
    // Escaping can triple a path or query; the common case has nothing to escape.
    request.method.len()
        + request.uri.path().len()
        + 1
        + request.uri.query().map_or(0, str::len)
        + headers
        + hash_len
        + 16
}

/// The canonical request over `signed_headers` (see [`signed_headers`]), with the payload hash
/// from [`payload_hash`]. A signed name missing from `headers` gets an empty value.
pub fn canonical_request(
    method: &str,
    uri: &Uri,
    headers: &HeaderMap,
    signed_headers: &str,
    payload_hash: &str,
) -> String {
    let mut out = String::new();
    write_canonical_request(
        &mut out,
        method,
        uri,
        |out| {
            for name in signed_headers.split(';').filter(|n| !n.is_empty()) {
                out.push_str(name);
                out.push(':');
                write_header_value(headers, &[], name, out);
                out.push('\n');
            }
        },
        signed_headers,
        payload_hash,
    );
    out
}

fn write_canonical_request(
    out: &mut String,
    method: &str,
    uri: &Uri,
    write_headers: impl FnOnce(&mut String),
    signed_headers: &str,
    payload_hash: &str,
) {
    for c in method.chars() {
        if c.is_ascii() {
            out.push(c.to_ascii_uppercase());
        } else {
            out.extend(c.to_uppercase());
        }
    }
    out.push('\n');
    write_canonical_uri(out, uri.path());
    out.push('\n');
    if let Some(query) = uri.query() {
        write_canonical_query(out, query);
    }
    out.push('\n');
    write_headers(out);
    out.push('\n');
    out.push_str(signed_headers);
    out.push('\n');
    out.push_str(payload_hash);
}

/// The string to sign: `SDK-HMAC-SHA256\n<date>\n<hex sha256(canonical request)>`.
pub fn string_to_sign(sdk_date: &str, canonical_request: &str) -> String {
    let mut out = String::with_capacity(ALGORITHM.len() + sdk_date.len() + 66);
    out.push_str(ALGORITHM);
    out.push('\n');
    out.push_str(sdk_date);
    out.push('\n');
    push_hex(
        &mut out,
        digest::digest(&digest::SHA256, canonical_request.as_bytes()).as_ref(),
    );
    out
}

/// The hex HMAC-SHA256 of `data` under `key`.
pub fn hmac_hex(key: &[u8], data: &str) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, key);
    let mut out = String::with_capacity(64);
    push_hex(&mut out, hmac::sign(&key, data.as_bytes()).as_ref());
    out
}

/// The hex SHA-256 of `data`.
pub fn sha256_hex(data: &[u8]) -> String {
    let mut out = String::with_capacity(64);
    push_hex(&mut out, digest::digest(&digest::SHA256, data).as_ref());
    out
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn hex_into<'a>(bytes: &[u8], buf: &'a mut [u8; 64]) -> &'a str {
    for (i, b) in bytes.iter().take(32).enumerate() {
        buf[2 * i] = HEX[usize::from(b >> 4)];
        buf[2 * i + 1] = HEX[usize::from(b & 0x0f)];
    }
    let len = 2 * bytes.len().min(32);
    // Only ASCII hex digits were written.
    std::str::from_utf8(&buf[..len]).unwrap_or_default()
}

fn push_hex(out: &mut String, bytes: &[u8]) {
    for b in bytes {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
}

/// Formats `time` as an `X-Sdk-Date` (`YYYYMMDDTHHMMSSZ`, UTC); a time before 1970 or after
/// 9999 is an [`ErrorKind::InvalidRequest`] error.
///
/// [`ErrorKind::InvalidRequest`]: codearts_transport::ErrorKind::InvalidRequest
pub fn format_sdk_date(time: SystemTime) -> Result<String, Error> {
    let mut buf = [0u8; 16];
    write_sdk_date(time, &mut buf).map(str::to_owned)
}

/// Writes the `X-Sdk-Date` of `time` into `buf` without allocating (civil date from the day
/// count, the proleptic Gregorian calendar in UTC).
fn write_sdk_date(time: SystemTime, buf: &mut [u8; 16]) -> Result<&str, Error> {
    let out_of_range = || Error::invalid_request("the signing time is before 1970 or after 9999");
    let secs = time
        .duration_since(UNIX_EPOCH)
        .map_err(|_| out_of_range())?
        .as_secs();
    // 10000-01-01T00:00:00Z
    if secs >= 253_402_300_800 {
        return Err(out_of_range());
    }
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    let (hour, minute, second) = (rem / 3600, rem % 3600 / 60, rem % 60);
    let mut put = |at: usize, value: u64, width: usize| {
        let mut v = value;
        for i in (0..width).rev() {
            buf[at + i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(0, year as u64, 4);
    put(4, month, 2);
    put(6, day, 2);
    put(9, hour, 2);
    put(11, minute, 2);
    put(13, second, 2);
    buf[8] = b'T';
    buf[15] = b'Z';
    // Only ASCII digits, `T` and `Z` were written.
    std::str::from_utf8(buf).map_err(|_| out_of_range())
}

/// Year, month, day of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u64, u64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u64;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u64;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
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
    fn sdk_dates_match_the_calendar_from_1970_to_9999() {
        let format = format_description!("[year][month][day]T[hour][minute][second]Z");
        // A stride that is not a multiple of a day, so every time of day and every month
        // boundary region is visited somewhere in the range.
        let mut secs: u64 = 0;
        while secs < 253_402_300_800 {
            let t = UNIX_EPOCH + std::time::Duration::from_secs(secs);
            let expected = time::OffsetDateTime::from_unix_timestamp(secs as i64)
                .unwrap()
                .format(format)
                .unwrap();
            assert_eq!(format_sdk_date(t).unwrap(), expected, "at {secs}");
            secs += 86_400 * 13 + 3_727;
        }
        let last = UNIX_EPOCH + std::time::Duration::from_secs(253_402_300_799);
        assert_eq!(format_sdk_date(last).unwrap(), "99991231T235959Z");
        let past = UNIX_EPOCH + std::time::Duration::from_secs(253_402_300_800);
        assert!(format_sdk_date(past).is_err());
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
