//! The loopback HTTP/1.1 test server of codearts-auth's tests, shared rather than copied: it
//! records every request and answers with a script.
#![allow(dead_code)]

#[path = "../../../codearts-auth/tests/common/server.rs"]
mod server;

pub use server::*;
