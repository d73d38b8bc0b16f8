//! The `codearts` binary run as a user would, against the loopback test server.
//!
//! One test binary (modules below) to keep link time down.

mod common;
mod demo;
#[cfg(feature = "emulator")]
mod emulator_e2e;
mod globals;
mod input;
mod raw;
mod secrets;
mod security;
mod seeds;
mod wait;
