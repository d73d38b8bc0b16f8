//! A downstream crate of `codearts-pipeline`: its tests use nothing but the service crate (and
//! tokio, and mockall for mocks) to configure, call and mock a client.
