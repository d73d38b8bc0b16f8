//! Checking an `SDK-HMAC-SHA256` signature the way the service gateway does: for servers,
//! emulators and tests.
//!
//! The verifier rebuilds the canonical request from what arrived, over exactly the headers the
//! `Authorization` header names, and compares signatures in constant time. It says which check
//! failed; it does not judge the clock (compare [`Verified::date`] with your own).

use std::fmt;
use std::time::SystemTime;

use http::header::{HeaderName, HeaderValue};
use http::HeaderMap;
use ring::hmac;

use crate::signer::{
    canonical_request, parse_sdk_date, payload_hash, string_to_sign, ALGORITHM, X_SDK_DATE,
};

/// A request as a server received it.
#[derive(Debug, Clone, Copy)]
pub struct ReceivedRequest<'a> {
    /// The method.
    pub method: &'a str,
    /// The path as sent (percent-encoded).
    pub path: &'a str,
    /// The query string as sent, without `?` (empty when none).
    pub query: &'a str,
    /// The headers, names in any case.
    pub headers: &'a [(String, String)],
    /// The body.
    pub body: &'a [u8],
}

/// A signature that checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The access key that signed.
    pub access_key: String,
    /// The signing time from `X-Sdk-Date`.
    pub date: SystemTime,
    /// The headers the signature covers, lower case.
    pub signed_headers: Vec<String>,
}

/// Why a signature was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum VerifyError {
    /// No `Authorization` header.
    MissingAuthorization,
    /// The `Authorization` header is not `SDK-HMAC-SHA256 Access=…, SignedHeaders=…, Signature=…`.
    MalformedAuthorization,
    /// The access key is not known.
    UnknownAccessKey(String),
    /// No `X-Sdk-Date` header, or it is not signed.
    MissingDate,
    /// `X-Sdk-Date` is not `YYYYMMDDTHHMMSSZ`.
    MalformedDate,
    /// A header named in `SignedHeaders` is absent.
    MissingSignedHeader(String),
    /// The signature does not match the request.
    SignatureMismatch,
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VerifyError::MissingAuthorization => {
                f.write_str("the request has no Authorization header")
            }
            VerifyError::MalformedAuthorization => {
                f.write_str("the Authorization header is malformed")
            }
            VerifyError::UnknownAccessKey(ak) => write!(f, "the access key `{ak}` is unknown"),
            VerifyError::MissingDate => f.write_str("the request has no signed X-Sdk-Date header"),
            VerifyError::MalformedDate => {
                f.write_str("the X-Sdk-Date header is not YYYYMMDDTHHMMSSZ")
            }
            VerifyError::MissingSignedHeader(h) => write!(f, "the signed header `{h}` is missing"),
            VerifyError::SignatureMismatch => {
                f.write_str("the signature does not match the request")
            }
        }
    }
}

impl std::error::Error for VerifyError {}

/// The parts of an `Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationHeader {
    /// The access key.
    pub access_key: String,
    /// The signed header names, as listed.
    pub signed_headers: Vec<String>,
    /// The hex signature.
    pub signature: String,
}

/// Parses `SDK-HMAC-SHA256 Access=AK, SignedHeaders=a;b, Signature=hex`.
pub fn parse_authorization(value: &str) -> Option<AuthorizationHeader> {
    let rest = value.strip_prefix(ALGORITHM)?.strip_prefix(' ')?;
    let mut access = None;
    let mut signed = None;
    let mut signature = None;
    for part in rest.split(',') {
        let (key, val) = part.trim().split_once('=')?;
        match key {
            "Access" => access = Some(val.to_owned()),
            "SignedHeaders" => signed = Some(val.to_owned()),
            "Signature" => signature = Some(val.to_owned()),
            _ => return None,
        }
    }
    let signed_headers: Vec<String> = signed?.split(';').map(str::to_owned).collect();
    let access_key = access.filter(|a| !a.is_empty())?;
    let signature =
        signature.filter(|s| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()))?;
    if signed_headers
        .iter()
        .any(|h| h.is_empty() || h.to_ascii_lowercase() != *h)
    {
        return None;
    }
    Some(AuthorizationHeader {
        access_key,
        signed_headers,
        signature,
    })
}

/// Verifies the signature of `request`; `secret_for` returns the SK of an access key.
pub fn verify(
    request: &ReceivedRequest<'_>,
    secret_for: impl FnOnce(&str) -> Option<String>,
) -> Result<Verified, VerifyError> {
    let header = |name: &str| {
        request
            .headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect::<Vec<_>>()
    };
    let authorization = header("authorization");
    let authorization = authorization
        .first()
        .ok_or(VerifyError::MissingAuthorization)?;
    let auth = parse_authorization(authorization).ok_or(VerifyError::MalformedAuthorization)?;
    if !auth.signed_headers.iter().any(|h| h == X_SDK_DATE.as_str()) {
        return Err(VerifyError::MissingDate);
    }
    let date_text = header(X_SDK_DATE.as_str());
    let date_text = date_text.first().ok_or(VerifyError::MissingDate)?;
    let date = parse_sdk_date(date_text).ok_or(VerifyError::MalformedDate)?;

    // Only the listed headers take part, as the gateway sees them.
    let mut signed_map = HeaderMap::new();
    for name in &auth.signed_headers {
        let values = header(name);
        if values.is_empty() {
            return Err(VerifyError::MissingSignedHeader(name.clone()));
        }
        let header_name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| VerifyError::MalformedAuthorization)?;
        for v in values {
            let value =
                HeaderValue::from_str(v).map_err(|_| VerifyError::MalformedAuthorization)?;
            signed_map.append(header_name.clone(), value);
        }
    }
    let target = if request.query.is_empty() {
        request.path.to_owned()
    } else {
        format!("{}?{}", request.path, request.query)
    };
    let uri: http::Uri = target.parse().map_err(|_| VerifyError::SignatureMismatch)?;
    let hash = payload_hash(&signed_map, request.body);
    let canonical = canonical_request(
        request.method,
        &uri,
        &signed_map,
        &auth.signed_headers.join(";"),
        &hash,
    );
    let to_sign = string_to_sign(date_text, &canonical);

    let secret = secret_for(&auth.access_key)
        .ok_or_else(|| VerifyError::UnknownAccessKey(auth.access_key.clone()))?;
    let expected = hex::decode(&auth.signature).map_err(|_| VerifyError::MalformedAuthorization)?;
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    hmac::verify(&key, to_sign.as_bytes(), &expected)
        .map_err(|_| VerifyError::SignatureMismatch)?;
    Ok(Verified {
        access_key: auth.access_key,
        date,
        signed_headers: auth.signed_headers,
    })
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;
    use crate::{sign, AkSkCredentials, SigningRequest};

    fn signed(method: &str, url: &str, body: &[u8]) -> (String, String, Vec<(String, String)>) {
        let credentials = AkSkCredentials::new("AK1", "SK1").unwrap();
        let mut request = http::Request::builder()
            .method(method)
            .uri(url)
            .header("Content-Type", "application/json")
            .body(bytes::Bytes::copy_from_slice(body))
            .unwrap();
        let time = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let signature = sign(&SigningRequest::from_request(&request), &credentials, time).unwrap();
        signature.apply(request.headers_mut());
        let headers = request
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap().to_owned()))
            .collect();
        let path = request.uri().path().to_owned();
        let query = request.uri().query().unwrap_or("").to_owned();
        (path, query, headers)
    }

    fn check(
        method: &str,
        path: &str,
        query: &str,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Result<Verified, VerifyError> {
        verify(
            &ReceivedRequest {
                method,
                path,
                query,
                headers,
                body,
            },
            |ak| (ak == "AK1").then(|| "SK1".to_owned()),
        )
    }

    #[test]
    fn a_signed_request_verifies_and_any_change_breaks_it() {
        let body = br#"{"a":1}"#;
        let (path, query, headers) = signed("POST", "http://h:9/v1/x%2Fy/z?b=2&a=1", body);
        let ok = check("POST", &path, &query, &headers, body).unwrap();
        assert_eq!(ok.access_key, "AK1");
        assert_eq!(ok.date, UNIX_EPOCH + Duration::from_secs(1_800_000_000));

        assert_eq!(
            check("PUT", &path, &query, &headers, body),
            Err(VerifyError::SignatureMismatch)
        );
        assert_eq!(
            check("POST", "/v1/x%2Fy/w", &query, &headers, body),
            Err(VerifyError::SignatureMismatch)
        );
        assert_eq!(
            check("POST", &path, "a=1&b=3", &headers, body),
            Err(VerifyError::SignatureMismatch)
        );
        assert_eq!(
            check("POST", &path, &query, &headers, br#"{"a":2}"#),
            Err(VerifyError::SignatureMismatch)
        );
        let mut changed = headers.clone();
        for (k, v) in &mut changed {
            if k == "host" {
                *v = "other:9".to_owned();
            }
        }
        assert_eq!(
            check("POST", &path, &query, &changed, body),
            Err(VerifyError::SignatureMismatch)
        );
        // Query order does not matter: the canonical query is sorted.
        assert!(check("POST", &path, "a=1&b=2", &headers, body).is_ok());
        // Unsigned headers may be added.
        let mut extra = headers.clone();
        extra.push(("accept".to_owned(), "*/*".to_owned()));
        assert!(check("POST", &path, &query, &extra, body).is_ok());
    }

    #[test]
    fn each_refusal_has_its_reason() {
        let (path, query, headers) = signed("GET", "http://h/v1/x", b"");
        let without = |name: &str| {
            headers
                .iter()
                .filter(|(k, _)| k != name)
                .cloned()
                .collect::<Vec<_>>()
        };
        assert_eq!(
            check("GET", &path, &query, &without("authorization"), b""),
            Err(VerifyError::MissingAuthorization)
        );
        assert_eq!(
            check("GET", &path, &query, &without("host"), b""),
            Err(VerifyError::MissingSignedHeader("host".into()))
        );
        assert_eq!(
            check("GET", &path, &query, &without("x-sdk-date"), b""),
            Err(VerifyError::MissingDate)
        );
        let replace = |name: &str, value: &str| {
            headers
                .iter()
                .map(|(k, v)| {
                    if k == name {
                        (k.clone(), value.to_owned())
                    } else {
                        (k.clone(), v.clone())
                    }
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(
            check(
                "GET",
                &path,
                &query,
                &replace("authorization", "Basic abc"),
                b""
            ),
            Err(VerifyError::MalformedAuthorization)
        );
        assert_eq!(
            check(
                "GET",
                &path,
                &query,
                &replace("x-sdk-date", "yesterday"),
                b""
            ),
            Err(VerifyError::MalformedDate)
        );
        let auth = headers
            .iter()
            .find(|(k, _)| k == "authorization")
            .unwrap()
            .1
            .replace("AK1", "AK2");
        assert_eq!(
            check("GET", &path, &query, &replace("authorization", &auth), b""),
            Err(VerifyError::UnknownAccessKey("AK2".into()))
        );
    }
}
