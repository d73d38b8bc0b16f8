//! Checks that every operation of a spec reached every generated layer.

/// The generated sources of one service facade, as text.
#[derive(Debug, Clone, Copy)]
pub struct FacadeSources<'a> {
    /// `spec/<service>.json`.
    pub spec: &'a str,
    /// `src/generated/client.rs`.
    pub client: &'a str,
    /// `src/generated/stub.rs`.
    pub stub: &'a str,
    /// `src/generated/transport.rs`.
    pub transport: &'a str,
    /// `tests/generated_roundtrip.rs`.
    pub round_trips: &'a str,
}

/// The operation names in a spec, sorted.
pub fn operations(spec: &str) -> Vec<String> {
    let spec: serde_json::Value = serde_json::from_str(spec).expect("the spec is JSON");
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

/// Panics, listing what is missing, unless each of the `expected` operations of the spec has a
/// client method, a stub method, an HTTP implementation and a round-trip test.
pub fn assert_every_operation_covered(sources: FacadeSources<'_>, expected: usize) {
    let ops = operations(sources.spec);
    assert_eq!(ops.len(), expected, "operations in the spec");
    let mut missing = Vec::new();
    for op in &ops {
        let checks = [
            (
                "client method",
                sources.client.contains(&format!("pub fn {op}(")),
            ),
            (
                "stub method",
                sources.stub.contains(&format!("async fn {op}(")),
            ),
            (
                "HTTP implementation",
                sources.transport.contains(&format!("async fn {op}(")),
            ),
            (
                "round-trip test",
                sources
                    .round_trips
                    .contains(&format!("#[tokio::test]\nasync fn {op}() {{")),
            ),
        ];
        for (what, present) in checks {
            if !present {
                missing.push(format!("{op}: no {what}"));
            }
        }
    }
    assert!(missing.is_empty(), "not covered:\n{}", missing.join("\n"));
}
