//! Every operation of the spec has a client method, a stub method and a round-trip test.

const SPEC: &str = include_str!("../../../spec/codeartsbuild.json");
const CLIENT: &str = include_str!("../src/generated/client.rs");
const STUB: &str = include_str!("../src/generated/stub.rs");
const TRANSPORT: &str = include_str!("../src/generated/transport.rs");
const ROUND_TRIPS: &str = include_str!("generated_roundtrip.rs");

fn operations() -> Vec<String> {
    let spec: serde_json::Value = serde_json::from_str(SPEC).expect("the spec is JSON");
    let mut ops: Vec<String> = spec["paths"]
        .as_object()
        .expect("paths")
        .values()
        .flat_map(|methods| methods.as_object().expect("methods").values())
        .map(|op| op["operationId"].as_str().expect("operationId").to_owned())
        .collect();
    ops.sort();
    ops
}

#[test]
fn every_operation_is_covered() {
    let ops = operations();
    assert_eq!(ops.len(), 135, "operations in the spec");
    let mut missing = Vec::new();
    for op in &ops {
        let checks = [
            (
                "client method",
                CLIENT.contains(&format!("pub async fn {op}(")),
            ),
            ("stub method", STUB.contains(&format!("async fn {op}("))),
            (
                "HTTP implementation",
                TRANSPORT.contains(&format!("async fn {op}(")),
            ),
            (
                "round-trip test",
                ROUND_TRIPS.contains(&format!("#[tokio::test]\nasync fn {op}() {{")),
            ),
        ];
        for (what, present) in checks {
            if !present {
                missing.push(format!("{op}: no {what}"));
            }
        }
    }
    assert!(missing.is_empty(), "not covered:\n{}", missing.join("\n"));
    println!("{} of {} operations covered", ops.len(), ops.len());
}
