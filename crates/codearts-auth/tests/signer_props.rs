//! Properties of the signer over arbitrary requests.

use std::time::{Duration, UNIX_EPOCH};

use codearts_auth::signer::{self, sign, SigningRequest};
use codearts_auth::AkSkCredentials;
use codearts_transport::encoding::encode;
use http::{HeaderMap, HeaderName, HeaderValue, Uri};
use proptest::prelude::*;

fn segment() -> impl Strategy<Value = String> {
    // Unreserved, reserved, space, percent, non-ASCII.
    proptest::string::string_regex("[a-zA-Z0-9._~ %/?#&=+:@é流🚀-]{0,8}").unwrap()
}

fn pairs() -> impl Strategy<Value = Vec<(String, String)>> {
    proptest::collection::vec((segment(), segment()), 0..6)
}

fn headers() -> impl Strategy<Value = Vec<(String, String)>> {
    proptest::collection::vec(
        (
            proptest::string::string_regex("x-[a-z0-9_-]{1,8}").unwrap(),
            proptest::string::string_regex("[ -~]{0,12}").unwrap(),
        ),
        0..5,
    )
}

fn uri(path: &[String], query: &[(String, String)]) -> Uri {
    let mut url = String::from("https://h.example.com:8443");
    for seg in path {
        url.push('/');
        url.push_str(&encode(seg));
    }
    if path.is_empty() {
        url.push('/');
    }
    let q: Vec<String> = query
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect();
    if !q.is_empty() {
        url.push('?');
        url.push_str(&q.join("&"));
    }
    url.parse().unwrap()
}

fn header_map(list: &[(String, String)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (k, v) in list {
        map.insert(
            HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    map
}

proptest! {
    #[test]
    fn signing_is_deterministic(
        path in proptest::collection::vec(segment(), 0..4),
        query in pairs(),
        hdrs in headers(),
        body in proptest::collection::vec(any::<u8>(), 0..64),
        secs in 0u64..4_000_000_000,
    ) {
        let creds = AkSkCredentials::new("AK", "SK").unwrap().with_security_token("t");
        let uri = uri(&path, &query);
        let headers = header_map(&hdrs);
        let request = SigningRequest { method: "POST", uri: &uri, headers: &headers, body: &body };
        let time = UNIX_EPOCH + Duration::from_secs(secs);
        let a = sign(&request, &creds, time).unwrap();
        let b = sign(&request, &creds, time).unwrap();
        prop_assert_eq!(&a, &b);
        // Signed header names never contain '_' and are sorted.
        let names: Vec<&str> = a.signed_header_names().collect();
        prop_assert!(names.iter().all(|n| !n.contains('_')));
        prop_assert!(names.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn canonical_query_ignores_pair_order(
        (original, shuffled) in pairs().prop_flat_map(|p| (Just(p.clone()), Just(p).prop_shuffle())),
    ) {
        let a = uri(&[], &original);
        let b = uri(&[], &shuffled);
        prop_assert_eq!(
            signer::canonical_query_string(a.query()),
            signer::canonical_query_string(b.query())
        );
        let creds = AkSkCredentials::new("AK", "SK").unwrap();
        let headers = HeaderMap::new();
        let time = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let sa = sign(&SigningRequest { method: "GET", uri: &a, headers: &headers, body: b"" }, &creds, time).unwrap();
        let sb = sign(&SigningRequest { method: "GET", uri: &b, headers: &headers, body: b"" }, &creds, time).unwrap();
        prop_assert_eq!(sa.signature, sb.signature);
    }

    #[test]
    fn canonical_uri_is_escaped_and_ends_with_a_slash(path in proptest::collection::vec(segment(), 0..4)) {
        let uri = uri(&path, &[]);
        let canonical = signer::canonical_uri(uri.path());
        prop_assert!(canonical.ends_with('/'));
        prop_assert!(canonical
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~%/".contains(&b)));
        prop_assert_eq!(signer::canonical_uri(&canonical), canonical.clone());
    }

    /// What the signer signs, the verifier (the emulator's) accepts; and any change to the
    /// method, a query value or the body is caught.
    #[test]
    fn every_signed_request_verifies(
        path in proptest::collection::vec(segment(), 0..4),
        query in pairs(),
        hdrs in headers(),
        body in proptest::collection::vec(any::<u8>(), 0..64),
        json in any::<bool>(),
        secs in 0u64..4_000_000_000,
    ) {
        use codearts_auth::verify::{verify, ReceivedRequest};
        let creds = AkSkCredentials::new("AK", "SK").unwrap();
        let uri = uri(&path, &query);
        let mut headers = header_map(&hdrs);
        let content_type = if json { "application/json" } else { "application/octet-stream" };
        headers.insert(http::header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        let request = SigningRequest { method: "PUT", uri: &uri, headers: &headers, body: &body };
        let signature = sign(&request, &creds, UNIX_EPOCH + Duration::from_secs(secs)).unwrap();
        signature.apply(&mut headers);
        let received: Vec<(String, String)> = headers
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap().to_owned()))
            .collect();
        let check = |method: &str, query: &str, body: &[u8]| {
            verify(
                &ReceivedRequest { method, path: uri.path(), query, headers: &received, body },
                |ak| (ak == "AK").then(|| "SK".to_owned()),
            )
        };
        let q = uri.query().unwrap_or("");
        let verified = check("PUT", q, &body);
        prop_assert!(verified.is_ok(), "{:?}", verified);
        prop_assert_eq!(verified.unwrap().date, UNIX_EPOCH + Duration::from_secs(secs));
        prop_assert!(check("POST", q, &body).is_err());
        let mut other_query = q.to_owned();
        other_query.push_str(if q.is_empty() { "extra=1" } else { "&extra=1" });
        prop_assert!(check("PUT", &other_query, &body).is_err());
        // A JSON body is signed; an octet stream is UNSIGNED-PAYLOAD, as the official signer
        // does, except that an empty body always hashes as empty.
        let mut other_body = body.clone();
        other_body.push(b'!');
        prop_assert_eq!(check("PUT", q, &other_body).is_err(), json || body.is_empty());
    }
}

fn raw_query() -> impl Strategy<Value = String> {
    // Raw query text as any client may send it: escapes upper and lower case, escapes of
    // unreserved bytes, bare reserved characters, non-ASCII, empty pairs and keys.
    proptest::string::string_regex(
        "([a-zA-Z0-9._~=&+ é流-]|%[0-9A-Fa-f]{2}|%7E|%41|%C3%A9|%){0,24}",
    )
    .unwrap()
}

proptest! {
    // The signer's allocation-free query path gives exactly what the general path (decode
    // every pair, sort, re-encode) gives.
    #[test]
    fn canonical_query_fast_path_matches_the_general_rule(query in raw_query()) {
        use codearts_transport::encoding::{canonical_query, parse_query};
        prop_assert_eq!(
            signer::canonical_query_string(Some(&query)),
            canonical_query(&parse_query(&query))
        );
    }

    #[test]
    fn canonical_uri_matches_the_general_rule(path in raw_query()) {
        use codearts_transport::encoding::{decode, encode};
        let path = format!("/{path}");
        let decoded = decode(&path);
        let mut expected: String = decoded.split('/').map(|s| encode(s).into_owned()).collect::<Vec<_>>().join("/");
        if !expected.ends_with('/') {
            expected.push('/');
        }
        prop_assert_eq!(signer::canonical_uri(&path), expected);
    }
}
