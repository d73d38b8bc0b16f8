//! Any error body, with any status, becomes a typed error whose text is bounded.
#![no_main]

use codearts_transport::error_body::ServiceErrorBody;
use codearts_transport::{Error, ErrorKind};
use http::{HeaderMap, StatusCode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (u16, &[u8])| {
    let (status, body) = input;
    let _ = ServiceErrorBody::parse(body);
    let status = StatusCode::from_u16(400 + status % 200).unwrap();
    let error = Error::from_response(status, &HeaderMap::new(), body);
    assert!(matches!(error.kind(), ErrorKind::Service | ErrorKind::Auth));
    assert_eq!(error.status(), Some(status));
    let _ = format!("{error} {error:?}");
});
