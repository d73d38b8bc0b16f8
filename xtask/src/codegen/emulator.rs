//! Renders `crates/codearts-emulator/src/generated/<service>.rs`: the emulator's HTTP adapter.
//!
//! For each operation: a route (method, path template, operation name) and a function that
//! turns what arrived (path parameters, query pairs, headers, body) into the typed
//! `<Op>Request`, calls the facade's stub trait on the emulator's state, and turns the typed
//! answer back into HTTP. The parsing helpers live in the emulator's hand-written `adapter`
//! module; this file only says, per operation, which helper reads which parameter.

use std::fmt::Write;

use super::facade::Facade;
use super::rust::{bare, construct, field_name, literal, rust_type};
use super::spec::{Location, Operation, RequestBody, ResponseBody, Spec};
use super::HEADER;

/// `generated/<service>.rs` of the emulator.
pub fn render(spec: &Spec, f: &Facade) -> String {
    let mut out = String::new();
    writeln!(out, "{HEADER}").unwrap();
    writeln!(
        out,
        "//! The HTTP adapter of {}: routes, and one function per operation that parses the\n//! request, calls [`{}::stub::{}`] and encodes the answer.\n",
        f.title, f.krate, f.stub
    )
    .unwrap();
    writeln!(out, "use {} as m;", f.model).unwrap();
    writeln!(out, "use {}::stub::{};\n", f.krate, f.stub).unwrap();
    writeln!(
        out,
        "use crate::adapter::{{ApiError, Input, Output, Route}};\n"
    )
    .unwrap();

    writeln!(
        out,
        "/// Every operation of {}: method, path template and operation name.",
        f.title
    )
    .unwrap();
    writeln!(out, "pub const ROUTES: &[Route] = &[").unwrap();
    for op in &spec.operations {
        writeln!(
            out,
            "    Route {{ method: {}, path: {}, op: {} }},",
            literal(&op.method),
            literal(&op.path),
            literal(&op.name)
        )
        .unwrap();
    }
    writeln!(out, "];\n").unwrap();

    writeln!(
        out,
        "/// Performs the operation named `op` on `stub` with what arrived in `input`."
    )
    .unwrap();
    writeln!(
        out,
        "pub async fn dispatch(stub: &dyn {}, op: &str, input: &Input) -> Result<Output, ApiError> {{",
        f.stub
    )
    .unwrap();
    writeln!(out, "    match op {{").unwrap();
    for op in &spec.operations {
        writeln!(
            out,
            "        {} => {}(stub, input).await,",
            literal(&op.name),
            op.name
        )
        .unwrap();
    }
    writeln!(out, "        _ => Err(ApiError::unknown_operation(op)),").unwrap();
    writeln!(out, "    }}").unwrap();
    writeln!(out, "}}\n").unwrap();

    for op in &spec.operations {
        render_op(&mut out, op, f);
    }
    out
}

/// The helper reading one parameter, e.g. `input.query::<i64>("page_index")`.
fn reader(location: Location, required: bool, schema: &serde_json::Value, wire: &str) -> String {
    let is_vec = schema["type"].as_str() == Some("array");
    let ty = if is_vec {
        rust_type(&schema["items"], "")
    } else {
        rust_type(schema, "")
    };
    let base = match location {
        Location::Path => "path",
        Location::Query => "query",
        Location::Header => "header",
    };
    let name = match (location, required, is_vec) {
        (Location::Path, _, _) => base.to_owned(),
        (_, true, false) => format!("required_{base}"),
        (_, false, false) => base.to_owned(),
        (_, true, true) => format!("required_{base}_all"),
        (_, false, true) => format!("{base}_all"),
    };
    format!("input.{name}::<{ty}>({})?", literal(wire))
}

fn render_op(out: &mut String, op: &Operation, f: &Facade) {
    // The same order as the model's `new`: required first, path parameters first in the
    // order of the path.
    let path_order = |wire: &str| op.path.find(&format!("{{{wire}}}")).unwrap_or(usize::MAX);
    let mut params: Vec<_> = op.params.iter().collect();
    params.sort_by_key(|p| {
        (
            !p.required,
            p.location != Location::Path,
            path_order(&p.wire),
        )
    });
    writeln!(out, "/// `{} {}`: `{}`.", op.method, op.path, op.name).unwrap();
    let uses_input = !op.params.is_empty() || op.body.is_some();
    let input = if uses_input { "input" } else { "_input" };
    writeln!(
        out,
        "async fn {}(stub: &dyn {}, {input}: &Input) -> Result<Output, ApiError> {{",
        op.name, f.stub
    )
    .unwrap();
    let required: Vec<String> = params
        .iter()
        .filter(|p| p.required)
        .map(|p| reader(p.location, true, &p.schema, &p.wire))
        .collect();
    let optional: Vec<_> = params.iter().filter(|p| !p.required).collect();
    let mutable = !optional.is_empty() || op.body.is_some();
    writeln!(
        out,
        "    let {}request = m::{}::new({});",
        if mutable { "mut " } else { "" },
        op.request_type,
        required.join(", ")
    )
    .unwrap();
    for p in optional {
        writeln!(
            out,
            "    if let Some(v) = {} {{ request = request.set_{}(v); }}",
            reader(p.location, false, &p.schema, &p.wire),
            bare(&field_name(&p.attr))
        )
        .unwrap();
    }
    match &op.body {
        None => {}
        Some(RequestBody::Json { schema, .. }) => {
            writeln!(
                out,
                "    if let Some(v) = input.json::<{}>()? {{ request = request.set_body(v); }}",
                rust_type(schema, "m::")
            )
            .unwrap();
        }
        Some(RequestBody::Multipart { properties }) => {
            writeln!(out, "    if let Some(form) = input.multipart()? {{").unwrap();
            let mut args = Vec::new();
            let mut optional = Vec::new();
            for p in properties {
                let is_file = p.schema["format"].as_str() == Some("binary");
                let (req, opt) = if is_file {
                    (
                        format!("form.required_file({})?", literal(&p.wire)),
                        format!("form.file({})", literal(&p.wire)),
                    )
                } else {
                    let ty = rust_type(&p.schema, "");
                    (
                        format!("form.required_text::<{ty}>({})?", literal(&p.wire)),
                        format!("form.text::<{ty}>({})?", literal(&p.wire)),
                    )
                };
                if p.required {
                    args.push(req);
                } else {
                    optional.push((field_name(&p.attr), opt));
                }
            }
            let ty = format!("m::{}Body", op.request_type);
            for line in construct("body", &ty, &args, &optional) {
                writeln!(out, "        {line}").unwrap();
            }
            writeln!(out, "        request = request.set_body(body);").unwrap();
            writeln!(out, "    }}").unwrap();
        }
    }
    writeln!(
        out,
        "    let result = stub.{}(request, codearts_transport::RequestOptions::default()).await;",
        op.name
    )
    .unwrap();
    match &op.response {
        ResponseBody::Model(_) => {
            writeln!(
                out,
                "    crate::adapter::json(result, m::{}::new)",
                op.response_type
            )
            .unwrap();
        }
        ResponseBody::Bare(schema) => {
            let empty = if rust_type(schema, "") == "String" {
                "String::new()"
            } else {
                "Vec::new()"
            };
            writeln!(
                out,
                "    crate::adapter::json(result, || m::{}::new().set_body({empty}))",
                op.response_type
            )
            .unwrap();
        }
        ResponseBody::Empty => {
            writeln!(out, "    crate::adapter::empty(result)").unwrap();
        }
        ResponseBody::Stream => {
            writeln!(out, "    crate::adapter::stream(result).await").unwrap();
        }
    }
    writeln!(out, "}}\n").unwrap();
}

/// `generated/mod.rs` of the emulator.
pub fn module() -> String {
    format!(
        "{HEADER}\n//! The HTTP adapters generated from the spec.\n\npub mod build;\npub mod pipeline;\n"
    )
}

/// An argument expression for a parameter in the every-operation test.
fn test_arg(wire: &str, schema: &serde_json::Value) -> String {
    match (schema["type"].as_str(), schema["items"]["type"].as_str()) {
        (Some("integer"), _) => format!("s.int({})", literal(wire)),
        (Some("number"), _) => "1.5f64".to_owned(),
        (Some("boolean"), _) => "true".to_owned(),
        (Some("array"), _) => format!("vec![s.str({})]", literal(wire)),
        _ => format!("s.str({})", literal(wire)),
    }
}

/// `crates/codearts-emulator/tests/generated_every_op_<service>.rs`: every operation, sent by
/// our client to an emulator with seeded state, answers 2xx and decodes.
pub fn every_op_test(spec: &Spec, f: &Facade) -> String {
    use super::rust::sample;
    let mut out = String::new();
    writeln!(out, "{HEADER}").unwrap();
    writeln!(
        out,
        "//! Every operation of {} answers through the emulator and decodes in our client.\n",
        f.title
    )
    .unwrap();
    writeln!(out, "#![allow(clippy::all)]\n").unwrap();
    writeln!(out, "mod common;\n").unwrap();
    writeln!(out, "use {} as m;", f.model).unwrap();
    writeln!(out, "use {}::{};\n", f.krate, f.client).unwrap();
    for op in &spec.operations {
        let path_order = |wire: &str| op.path.find(&format!("{{{wire}}}")).unwrap_or(usize::MAX);
        let mut params: Vec<_> = op.params.iter().filter(|p| p.required).collect();
        params.sort_by_key(|p| (p.location != Location::Path, path_order(&p.wire)));
        let args: Vec<String> = params
            .iter()
            .map(|p| test_arg(&p.wire, &p.schema))
            .collect();
        let mut setters = String::new();
        match &op.body {
            Some(RequestBody::Json { schema, .. }) => {
                let value = sample(schema, &spec.schemas, &mut Vec::new())
                    .unwrap_or(serde_json::Value::Null);
                write!(
                    setters,
                    ".set_body(serde_json::from_value::<{}>(s.fill({})).expect(\"the sample body decodes\"))",
                    rust_type(schema, "m::"),
                    literal(&value.to_string())
                )
                .unwrap();
            }
            Some(RequestBody::Multipart { properties }) => {
                let mut form_args = Vec::new();
                for p in properties.iter().filter(|p| p.required) {
                    if p.schema["format"].as_str() == Some("binary") {
                        form_args.push(
                            "m::FilePart::new(\"upload.bin\", b\"\\x00bytes\".to_vec())".to_owned(),
                        );
                    } else {
                        form_args.push(test_arg(&p.wire, &p.schema));
                    }
                }
                write!(
                    setters,
                    ".set_body(m::{}Body::new({}))",
                    op.request_type,
                    form_args.join(", ")
                )
                .unwrap();
            }
            None => {}
        }
        writeln!(out, "#[tokio::test]").unwrap();
        writeln!(out, "async fn {}() {{", op.name).unwrap();
        writeln!(out, "    let s = common::Seeded::start().await;").unwrap();
        writeln!(out, "    let client: {} = common::aksk(&s.emu);", f.client).unwrap();
        writeln!(
            out,
            "    let request = m::{}::new({}){setters};",
            op.request_type,
            args.join(", ")
        )
        .unwrap();
        writeln!(
            out,
            "    let response = client.{}(request).await.expect(\"{} answers 2xx and decodes\");",
            op.name, op.name
        )
        .unwrap();
        if matches!(op.response, ResponseBody::Stream) {
            writeln!(
                out,
                "    response.body.collect(1 << 20).await.expect(\"the body streams\");"
            )
            .unwrap();
        } else {
            writeln!(out, "    let _ = response;").unwrap();
        }
        writeln!(
            out,
            "    let entry = s.emu.log().pop().expect(\"the request is logged\");"
        )
        .unwrap();
        writeln!(
            out,
            "    assert_eq!(entry.op.as_deref(), Some({}));",
            literal(&op.name)
        )
        .unwrap();
        writeln!(out, "}}\n").unwrap();
    }
    out
}
