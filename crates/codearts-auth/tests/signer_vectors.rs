//! The signer against vectors computed by the official Python SDK
//! (`tests/fixtures/signer/make_vectors.py`): every stage of every case must match.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use codearts_auth::signer::{self, sign, SigningRequest};
use codearts_auth::AkSkCredentials;
use codearts_transport::{Endpoint, OperationRequest};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};
use serde::Deserialize;

#[derive(Deserialize)]
struct Vectors {
    unix_time: u64,
    sdk_date: String,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    method: String,
    scheme: String,
    host: String,
    resource_path: String,
    query: Vec<(String, String)>,
    raw_query: String,
    headers: Vec<(String, String)>,
    body: Option<String>,
    body_hex: Option<String>,
    ak: String,
    sk: String,
    security_token: Option<String>,
    project_id: Option<String>,
    domain_id: Option<String>,
    date_in_request: bool,
    expected: Expected,
}

#[derive(Deserialize)]
struct Expected {
    canonical_request: String,
    string_to_sign: String,
    signed_headers: Vec<String>,
    signature: String,
    authorization: String,
    headers: Vec<(String, String)>,
    uri: String,
    url: String,
}

fn vectors() -> Vectors {
    let text = include_str!("fixtures/signer/vectors.json");
    serde_json::from_str(text).expect("vectors.json parses")
}

struct Prepared {
    uri: Uri,
    headers: HeaderMap,
    body: Vec<u8>,
    credentials: AkSkCredentials,
    time: SystemTime,
}

fn prepare(case: &Case, vectors: &Vectors) -> Prepared {
    let mut url = format!("{}://{}{}", case.scheme, case.host, case.resource_path);
    if !case.raw_query.is_empty() {
        url.push('?');
        url.push_str(&case.raw_query);
    }
    let uri: Uri = url.parse().expect("case URL parses");
    let mut headers = HeaderMap::new();
    for (name, value) in &case.headers {
        headers.insert(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_bytes(value.as_bytes()).unwrap(),
        );
    }
    let signing_time = UNIX_EPOCH + Duration::from_secs(vectors.unix_time);
    let time = if case.date_in_request {
        headers.insert(
            "X-Sdk-Date",
            HeaderValue::from_str(&vectors.sdk_date).unwrap(),
        );
        // The header wins over the time argument: pass a different time to prove it.
        signing_time + Duration::from_secs(86_400 * 365)
    } else {
        signing_time
    };
    let body = match (&case.body, &case.body_hex) {
        (_, Some(hex)) => hex::decode(hex).unwrap(),
        (Some(text), None) => text.as_bytes().to_vec(),
        (None, None) => Vec::new(),
    };
    let mut credentials = AkSkCredentials::new(&case.ak, &case.sk).unwrap();
    if let Some(token) = &case.security_token {
        credentials = credentials.with_security_token(token);
    }
    if let Some(id) = &case.project_id {
        credentials = credentials.with_project_id(id);
    }
    if let Some(id) = &case.domain_id {
        credentials = credentials.with_domain_id(id);
    }
    Prepared {
        uri,
        headers,
        body,
        credentials,
        time,
    }
}

#[test]
fn there_are_enough_vectors() {
    let v = vectors();
    assert!(v.cases.len() >= 40, "only {} cases", v.cases.len());
    let mut names: Vec<&str> = v.cases.iter().map(|c| c.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), v.cases.len(), "case names are unique");
}

#[test]
fn every_stage_matches_the_official_signer() {
    let v = vectors();
    let mut failures = Vec::new();
    for case in &v.cases {
        let p = prepare(case, &v);
        let request = SigningRequest {
            method: &case.method,
            uri: &p.uri,
            headers: &p.headers,
            body: &p.body,
        };
        let sig = match sign(&request, &p.credentials, p.time) {
            Ok(sig) => sig,
            Err(e) => {
                failures.push(format!("{}: sign failed: {e}", case.name));
                continue;
            }
        };
        let e = &case.expected;
        let mut check = |stage: &str, ours: &dyn std::fmt::Debug, theirs: &dyn std::fmt::Debug| {
            let (ours, theirs) = (format!("{ours:?}"), format!("{theirs:?}"));
            if ours != theirs {
                failures.push(format!(
                    "{}: {stage} differs\n  ours:   {ours}\n  theirs: {theirs}",
                    case.name
                ));
            }
        };
        check(
            "canonical request",
            &sig.canonical_request,
            &e.canonical_request,
        );
        check("string to sign", &sig.string_to_sign, &e.string_to_sign);
        check(
            "signed headers",
            &sig.signed_headers,
            &e.signed_headers.join(";"),
        );
        check("signature", &sig.signature, &e.signature);
        let authorization = sig.authorization().map(|v| v.to_str().unwrap().to_owned());
        check(
            "authorization",
            &authorization,
            &Some(e.authorization.clone()),
        );

        // The headers the request ends up with: the caller's plus the signature's.
        let mut ours = p.headers.clone();
        sig.apply(&mut ours);
        let ours: BTreeMap<String, String> = ours
            .iter()
            .map(|(k, v)| {
                let text = String::from_utf8(v.as_bytes().to_vec()).unwrap();
                (k.as_str().to_owned(), text.trim().to_owned())
            })
            .collect();
        let theirs: BTreeMap<String, String> = e
            .headers
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
            .collect();
        check("final headers", &ours, &theirs);

        // Only the headers the official signer added are in the signature, in its order.
        // (The oracle always got X-Sdk-Date from the caller, so its position is not compared.)
        let given: Vec<String> = case
            .headers
            .iter()
            .map(|h| h.0.to_ascii_lowercase())
            .collect();
        let added_theirs: Vec<String> = e
            .headers
            .iter()
            .map(|h| h.0.to_ascii_lowercase())
            .filter(|n| !given.contains(n) && n != "x-sdk-date")
            .collect();
        let added_ours: Vec<String> = sig
            .headers
            .iter()
            .map(|h| h.0.as_str().to_owned())
            .filter(|n| !given.contains(n) && n != "x-sdk-date")
            .collect();
        check("added headers", &added_ours, &added_theirs);
        let adds_date = sig.headers.iter().any(|h| h.0 == "x-sdk-date");
        check("X-Sdk-Date added", &adds_date, &!case.date_in_request);

        // The URI on the wire carries the canonical query, as the official client sends it.
        let wire = {
            let q = signer::canonical_query_string(p.uri.query());
            if q.is_empty() {
                p.uri.path().to_owned()
            } else {
                format!("{}?{q}", p.uri.path())
            }
        };
        check("wire URI", &wire, &e.uri);

        // And our request builder produces the official URL from the unescaped pairs.
        let method = Method::from_bytes(case.method.to_uppercase().as_bytes()).unwrap();
        let endpoint = Endpoint::parse(&format!("{}://{}", case.scheme, case.host)).unwrap();
        let mut op = OperationRequest::new(method, case.resource_path.clone());
        for (k, val) in &case.query {
            op = op.query(k.clone(), val);
        }
        let built = op.into_request(&endpoint).unwrap();
        check("built URL", &built.uri().to_string(), &e.url);

        // Signing the built request gives the same signature.
        let mut built = built;
        *built.headers_mut() = p.headers.clone();
        *built.body_mut() = p.body.clone().into();
        let again = sign(
            &SigningRequest::from_request(&built),
            &p.credentials,
            p.time,
        )
        .unwrap();
        check("signature of built request", &again.signature, &e.signature);
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
