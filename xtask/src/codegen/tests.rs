//! Renders one round-trip test per operation: the call goes to a loopback server that records
//! what arrived; the test asserts method, path, query, headers and body, and that the answer
//! decodes into the response type and encodes back to the same JSON.

use std::fmt::Write;

use serde_json::Value;

use super::facade::Facade;
use super::rust::{bare, field_name, literal, rust_type, sample};
use super::spec::{Location, Operation, RequestBody, ResponseBody, Spec};
use super::HEADER;

/// Escapes like the official SDKs: everything but `A-Za-z0-9-._~`. Written independently of
/// the runtime's encoder so the tests check it rather than repeat it.
fn escape(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            write!(out, "%{b:02X}").unwrap();
        }
    }
    out
}

/// A Rust expression and its wire text for a parameter of this schema.
fn param_value(wire: &str, schema: &Value) -> (String, Vec<String>) {
    match (schema["type"].as_str(), schema["items"]["type"].as_str()) {
        (Some("integer"), _) => ("7i64".to_owned(), vec!["7".to_owned()]),
        (Some("number"), _) => ("2.5f64".to_owned(), vec!["2.5".to_owned()]),
        (Some("boolean"), _) => ("true".to_owned(), vec!["true".to_owned()]),
        (Some("array"), _) => {
            let a = format!("{wire}-a");
            let b = format!("{wire} b");
            (
                format!(
                    "vec![{}.to_owned(), {}.to_owned()]",
                    literal(&a),
                    literal(&b)
                ),
                vec![a, b],
            )
        }
        _ => {
            let v = format!("{wire}/ü 1");
            (literal(&v), vec![v])
        }
    }
}

pub fn render(spec: &Spec, f: &Facade) -> String {
    let mut out = String::new();
    writeln!(out, "{HEADER}").unwrap();
    writeln!(
        out,
        "//! One round trip per operation of {} through a loopback server.\n",
        f.title
    )
    .unwrap();
    writeln!(out, "#![allow(clippy::all)]\n").unwrap();
    writeln!(out, "use codearts_testkit::{{Reply, TestServer}};").unwrap();
    writeln!(out, "use {}::{};", f.krate, f.client).unwrap();
    writeln!(out, "use {} as m;\n", f.model).unwrap();
    writeln!(
        out,
        "fn client(server: &TestServer) -> {} {{ codearts_testkit::signed_client(server) }}\n",
        f.client
    )
    .unwrap();
    for op in &spec.operations {
        render_test(&mut out, spec, op);
    }
    out
}

fn render_test(out: &mut String, spec: &Spec, op: &Operation) {
    writeln!(out, "#[tokio::test]").unwrap();
    writeln!(out, "async fn {}() {{", op.name).unwrap();
    writeln!(out, "    let server = TestServer::start().await;").unwrap();
    // The reply.
    let mut expected_response: Option<Value> = None;
    match &op.response {
        ResponseBody::Model(name) => {
            let schema = serde_json::json!({ "$ref": format!("#/components/schemas/{name}") });
            let value = sample(&schema, &spec.schemas, &mut Vec::new()).unwrap_or(Value::Null);
            writeln!(
                out,
                "    server.reply(Reply::json(200, {}));",
                literal(&value.to_string())
            )
            .unwrap();
            expected_response = Some(value);
        }
        ResponseBody::Bare(schema) if rust_type(schema, "") == "String" => {
            writeln!(out, "    server.reply(Reply::text(200, \"plain answer\"));").unwrap();
        }
        ResponseBody::Bare(schema) => {
            let value = sample(schema, &spec.schemas, &mut Vec::new()).unwrap_or(Value::Null);
            writeln!(
                out,
                "    server.reply(Reply::json(200, {}));",
                literal(&value.to_string())
            )
            .unwrap();
            expected_response = Some(value);
        }
        ResponseBody::Stream => {
            writeln!(out, "    server.reply(Reply::bytes(200, \"application/octet-stream\", b\"\\x00streamed bytes\\xff\".to_vec()));").unwrap();
        }
        ResponseBody::Empty => {
            writeln!(out, "    server.reply(Reply::text(200, \"\"));").unwrap();
        }
    }
    // The request: required parameters through `new`, then every optional one.
    let mut path = op.path.clone();
    let mut query: Vec<(String, String)> = Vec::new();
    let mut headers: Vec<(String, String)> = Vec::new();
    let mut required_args = Vec::new();
    let mut setters = Vec::new();
    let path_order = |wire: &str| op.path.find(&format!("{{{wire}}}")).unwrap_or(usize::MAX);
    let mut params: Vec<_> = op.params.iter().collect();
    params.sort_by_key(|p| {
        (
            !p.required,
            p.location != Location::Path,
            path_order(&p.wire),
        )
    });
    for p in params {
        let (expr, wire_values) = param_value(&p.wire, &p.schema);
        match p.location {
            Location::Path => {
                path = path.replace(&format!("{{{}}}", p.wire), &escape(&wire_values[0]));
            }
            Location::Query => {
                for v in &wire_values {
                    query.push((p.wire.clone(), v.clone()));
                }
            }
            Location::Header => headers.push((p.wire.to_ascii_lowercase(), wire_values[0].clone())),
        }
        if p.required {
            required_args.push(expr);
        } else {
            setters.push(format!(".set_{}({expr})", bare(&field_name(&p.attr))));
        }
    }
    query.sort();
    let mut expected_body: Option<Value> = None;
    let mut multipart_fields: Vec<String> = Vec::new();
    match &op.body {
        Some(RequestBody::Json { schema, .. }) => {
            let value = sample(schema, &spec.schemas, &mut Vec::new()).unwrap_or(Value::Null);
            setters.push(format!(
                ".set_body(serde_json::from_str::<{}>({}).expect(\"sample body decodes\"))",
                rust_type(schema, "m::"),
                literal(&value.to_string())
            ));
            expected_body = Some(value);
        }
        Some(RequestBody::Multipart { properties }) => {
            let form_type = format!("m::{}Body", op.request_type);
            let mut args = Vec::new();
            let mut form_setters = String::new();
            for p in properties {
                let is_file = p.schema["format"].as_str() == Some("binary");
                let expr = if is_file {
                    "m::FilePart::new(\"plugin.zip\", b\"PK\\x03\\x04 zipped\".to_vec())".to_owned()
                } else {
                    let (expr, _) = param_value(&p.wire, &p.schema);
                    expr
                };
                multipart_fields.push(p.wire.clone());
                if p.required {
                    args.push(expr);
                } else {
                    write!(form_setters, ".set_{}({expr})", bare(&field_name(&p.attr))).unwrap();
                }
            }
            setters.push(format!(
                ".set_body({form_type}::new({}){form_setters})",
                args.join(", ")
            ));
        }
        None => {}
    }
    writeln!(
        out,
        "    let request = m::{}::new({}){};",
        op.request_type,
        required_args.join(", "),
        setters.join("")
    )
    .unwrap();
    writeln!(
        out,
        "    let response = client(&server).{}(request).await.expect(\"the call succeeds\");",
        op.name
    )
    .unwrap();
    writeln!(out, "    let seen = server.single_request();").unwrap();
    writeln!(out, "    assert_eq!(seen.method, {});", literal(&op.method)).unwrap();
    writeln!(out, "    assert_eq!(seen.path, {});", literal(&path)).unwrap();
    let pairs: Vec<String> = query
        .iter()
        .map(|(k, v)| format!("({}, {})", literal(k), literal(v)))
        .collect();
    writeln!(
        out,
        "    assert_eq!(seen.query_pairs(), vec![{}] as Vec<(&str, &str)>);",
        pairs.join(", ")
    )
    .unwrap();
    for (name, value) in &headers {
        writeln!(
            out,
            "    assert_eq!(seen.header({}), Some({}));",
            literal(name),
            literal(value)
        )
        .unwrap();
    }
    writeln!(out, "    seen.assert_signed_by(\"TESTAK\");").unwrap();
    match &op.body {
        Some(RequestBody::Json { content_type, .. }) => {
            writeln!(
                out,
                "    assert_eq!(seen.header(\"content-type\"), Some({}));",
                literal(content_type)
            )
            .unwrap();
            if let Some(body) = expected_body {
                writeln!(
                    out,
                    "    assert_eq!(seen.json(), serde_json::from_str::<serde_json::Value>({}).unwrap());",
                    literal(&body.to_string())
                )
                .unwrap();
            }
        }
        Some(RequestBody::Multipart { .. }) => {
            writeln!(out, "    let form = seen.multipart();").unwrap();
            for name in &multipart_fields {
                writeln!(out, "    assert!(form.iter().any(|part| part.name == {}), \"form field {name} sent\");", literal(name)).unwrap();
            }
        }
        None => {
            if !op.content_type.is_empty() {
                writeln!(
                    out,
                    "    assert_eq!(seen.header(\"content-type\"), Some({}));",
                    literal(&op.content_type)
                )
                .unwrap();
            }
            writeln!(out, "    assert!(seen.body.is_empty());").unwrap();
        }
    }
    match &op.response {
        ResponseBody::Stream => {
            writeln!(out, "    let bytes = response.body.collect(1 << 20).await.expect(\"the body streams\");").unwrap();
            writeln!(
                out,
                "    assert_eq!(&bytes[..], b\"\\x00streamed bytes\\xff\");"
            )
            .unwrap();
        }
        ResponseBody::Bare(schema) if rust_type(schema, "") == "String" => {
            writeln!(
                out,
                "    assert_eq!(response.body.as_deref(), Some(\"plain answer\"));"
            )
            .unwrap();
        }
        ResponseBody::Empty => {
            writeln!(out, "    let _ = response;").unwrap();
        }
        _ => {
            if let Some(value) = expected_response {
                writeln!(
                    out,
                    "    assert_eq!(serde_json::to_value(&response).unwrap(), serde_json::from_str::<serde_json::Value>({}).unwrap());",
                    literal(&value.to_string())
                )
                .unwrap();
            }
        }
    }
    writeln!(out, "}}\n").unwrap();
}
