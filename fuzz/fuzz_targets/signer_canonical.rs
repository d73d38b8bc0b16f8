//! Any request the signer accepts is canonicalized without panicking, signs deterministically,
//! and verifies with the verifier the emulator uses.
#![no_main]

use std::time::{Duration, UNIX_EPOCH};

use codearts_auth::verify::{verify, ReceivedRequest};
use codearts_auth::{sign, AkSkCredentials, SigningRequest};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (&str, &str, Vec<(String, String)>, &[u8])| {
    let (path, query, headers, body) = input;
    let _ = codearts_auth::signer::canonical_uri(path);
    let _ = codearts_auth::signer::canonical_query_string(Some(query));

    let target = if query.is_empty() { format!("/{path}") } else { format!("/{path}?{query}") };
    let Ok(uri) = format!("http://host.example:8080{target}").parse::<http::Uri>() else {
        return;
    };
    let mut request = http::Request::builder().method("POST").uri(uri);
    for (name, value) in &headers {
        request = request.header(name.as_str(), value.as_str());
    }
    let Ok(mut request) = request.body(bytes::Bytes::copy_from_slice(body)) else {
        return;
    };
    let credentials = AkSkCredentials::new("AK", "SK").unwrap();
    let time = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let Ok(first) = sign(&SigningRequest::from_request(&request), &credentials, time) else {
        return;
    };
    let again = sign(&SigningRequest::from_request(&request), &credentials, time).unwrap();
    assert_eq!(first.signature, again.signature);
    first.apply(request.headers_mut());

    let received: Vec<(String, String)> = request
        .headers()
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .collect();
    if received.len() != request.headers().len() {
        return; // A non-text header value cannot travel as received text.
    }
    let outcome = verify(
        &ReceivedRequest {
            method: "POST",
            path: request.uri().path(),
            query: request.uri().query().unwrap_or(""),
            headers: &received,
            body,
        },
        |ak| (ak == "AK").then(|| "SK".to_owned()),
    );
    assert!(outcome.is_ok(), "{outcome:?}");
});
