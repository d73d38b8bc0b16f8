//! Every operation of the spec has a client method, a stub method, an HTTP implementation and
//! a round-trip test: 100 of 100.

use codearts_testkit::coverage::{assert_every_operation_covered, FacadeSources};

#[test]
fn every_operation_is_covered() {
    assert_every_operation_covered(
        FacadeSources {
            spec: include_str!("../../../spec/codeartspipeline.json"),
            client: include_str!("../src/generated/client.rs"),
            stub: include_str!("../src/generated/stub.rs"),
            transport: include_str!("../src/generated/transport.rs"),
            round_trips: include_str!("generated_roundtrip.rs"),
        },
        100,
    );
}
