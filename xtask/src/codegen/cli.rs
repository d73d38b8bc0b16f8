//! Renders `crates/codearts-cli/src/generated/<service>.rs`: a static table describing every
//! operation's command (name, flags, body, answer) and one `match` that builds the typed
//! request from the parsed flags and calls the client.
//!
//! The clap command tree is built at run time from the table with clap's builder API: one
//! table row per operation compiles far faster and smaller than one derive struct each.

use std::fmt::Write;

use serde_json::Value;

use super::facade::Facade;
use super::rust::{bare, construct, field_name, literal, rust_type, sentence, snake};
use super::spec::{Location, Operation, Param, RequestBody, ResponseBody, Spec};
use super::HEADER;

/// The flag of a parameter or form field: kebab-case of its attribute name.
pub fn flag(attr: &str) -> String {
    snake(attr.trim_start_matches('_')).replace('_', "-")
}

/// The value type of a scalar schema, as the CLI parses it.
fn kind(schema: &Value) -> (&'static str, &'static str) {
    let scalar = if schema["type"].as_str() == Some("array") {
        &schema["items"]
    } else {
        schema
    };
    match scalar["type"].as_str() {
        Some("integer") => ("Int", "i64"),
        Some("number") => ("Float", "f64"),
        Some("boolean") => ("Bool", "bool"),
        _ => ("Str", "String"),
    }
}

fn is_array(schema: &Value) -> bool {
    schema["type"].as_str() == Some("array")
}

fn is_file(schema: &Value) -> bool {
    schema["format"].as_str() == Some("binary")
}

/// `generated/<service>.rs`.
pub fn render(spec: &Spec, f: &Facade) -> String {
    let mut out = String::new();
    writeln!(out, "{HEADER}").unwrap();
    writeln!(
        out,
        "//! The {} commands: the operation table and the dispatcher.\n",
        f.title
    )
    .unwrap();
    writeln!(
        out,
        "use crate::ops::{{ArgSpec, BodySpec, Input, Kind, Loc, OpSpec, Outcome, ResponseSpec}};"
    )
    .unwrap();
    writeln!(out, "use {} as m;\n", f.model).unwrap();

    writeln!(
        out,
        "/// Every operation of {}, sorted by command name.",
        f.title
    )
    .unwrap();
    writeln!(out, "pub static OPS: &[OpSpec] = &[").unwrap();
    for op in &spec.operations {
        render_row(&mut out, op);
    }
    writeln!(out, "];\n").unwrap();

    writeln!(
        out,
        "/// Builds the typed request of `command` from the parsed flags and performs it."
    )
    .unwrap();
    writeln!(
        out,
        "pub async fn call(client: &{}::{}, command: &str, input: &Input<'_>) -> Result<Outcome, crate::CliError> {{",
        f.krate, f.client
    )
    .unwrap();
    writeln!(out, "    match command {{").unwrap();
    for op in &spec.operations {
        render_arm(&mut out, op);
    }
    writeln!(
        out,
        "        other => Err(crate::CliError::usage(format!(\"unknown operation `{{other}}`\"))),"
    )
    .unwrap();
    writeln!(out, "    }}").unwrap();
    writeln!(out, "}}").unwrap();
    out
}

fn arg_row(flag: &str, wire: &str, loc: &str, schema: &Value, required: bool) -> String {
    let (kind, _) = kind(schema);
    format!(
        "ArgSpec {{ flag: {}, wire: {}, loc: Loc::{loc}, kind: Kind::{kind}, required: {required}, many: {} }}",
        literal(flag),
        literal(wire),
        is_array(schema),
    )
}

fn render_row(out: &mut String, op: &Operation) {
    let mut args = Vec::new();
    for p in op.field_order() {
        let loc = match p.location {
            Location::Path => "Path",
            Location::Query => "Query",
            Location::Header => "Header",
        };
        args.push(arg_row(&flag(&p.attr), &p.wire, loc, &p.schema, p.required));
    }
    let body = match &op.body {
        None => "BodySpec::None".to_owned(),
        Some(RequestBody::Json { schema, .. }) => {
            let ty = match schema["$ref"].as_str() {
                Some(r) => super::spec::ref_name(r).to_owned(),
                None => rust_type(schema, ""),
            };
            format!("BodySpec::Json {{ type_name: {} }}", literal(&ty))
        }
        Some(RequestBody::Multipart { properties }) => {
            for p in properties {
                if is_file(&p.schema) {
                    args.push(format!(
                        "ArgSpec {{ flag: \"file\", wire: {}, loc: Loc::File, kind: Kind::Str, required: {}, many: false }}",
                        literal(&p.wire),
                        p.required
                    ));
                } else {
                    args.push(arg_row(
                        &flag(&p.attr),
                        &p.wire,
                        "Form",
                        &p.schema,
                        p.required,
                    ));
                }
            }
            "BodySpec::Multipart".to_owned()
        }
    };
    let response = match op.response {
        ResponseBody::Stream => "ResponseSpec::Download",
        _ => "ResponseSpec::Json",
    };
    writeln!(
        out,
        "    OpSpec {{ command: {}, operation: {}, about: {}, method: {}, path: {}, args: &[{}], body: {body}, response: {response} }},",
        literal(&flag(&op.name)),
        literal(&op.name),
        literal(&sentence(&op.name)),
        literal(&op.method),
        literal(&op.path),
        args.join(", "),
    )
    .unwrap();
}

/// The expression reading a required or optional flag.
fn read(p_flag: &str, schema: &Value, required: bool) -> String {
    let (_, ty) = kind(schema);
    match (is_array(schema), required) {
        (false, true) => format!("input.one::<{ty}>({})", literal(p_flag)),
        (false, false) => format!("input.opt::<{ty}>({})", literal(p_flag)),
        (true, true) => format!("input.many::<{ty}>({})", literal(p_flag)),
        (true, false) => format!("input.opt_many::<{ty}>({})", literal(p_flag)),
    }
}

fn setter(field: &str) -> String {
    format!("set_{}", bare(field))
}

fn render_arm(out: &mut String, op: &Operation) {
    let params = op.field_order();
    let (required, optional): (Vec<&Param>, Vec<&Param>) =
        params.into_iter().partition(|p| p.required);
    writeln!(out, "        {} => {{", literal(&flag(&op.name))).unwrap();
    let args: Vec<String> = required
        .iter()
        .map(|p| read(&flag(&p.attr), &p.schema, true))
        .collect();
    let mutable = !optional.is_empty() || op.body.is_some();
    writeln!(
        out,
        "            let {}request = m::{}::new({});",
        if mutable { "mut " } else { "" },
        op.request_type,
        args.join(", ")
    )
    .unwrap();
    for p in &optional {
        writeln!(
            out,
            "            if let Some(v) = {} {{ request = request.{}(v); }}",
            read(&flag(&p.attr), &p.schema, false),
            setter(&field_name(&p.attr))
        )
        .unwrap();
    }
    match &op.body {
        None => {}
        Some(RequestBody::Json { schema, .. }) => {
            writeln!(
                out,
                "            if let Some(v) = input.body::<{}>()? {{ request = request.set_body(v); }}",
                rust_type(schema, "m::")
            )
            .unwrap();
        }
        Some(RequestBody::Multipart { properties }) => {
            let mut new_args = Vec::new();
            let mut optional = Vec::new();
            for p in properties {
                let value = if is_file(&p.schema) {
                    if p.required {
                        "input.file(\"file\")?".to_owned()
                    } else {
                        "input.opt_file(\"file\")?".to_owned()
                    }
                } else {
                    read(&flag(&p.attr), &p.schema, p.required)
                };
                if p.required {
                    new_args.push(value);
                } else {
                    optional.push((field_name(&p.attr), value));
                }
            }
            let ty = format!("m::{}Body", op.request_type);
            for line in construct("form", &ty, &new_args, &optional) {
                writeln!(out, "            {line}").unwrap();
            }
            writeln!(out, "            request = request.set_body(form);").unwrap();
        }
    }
    match op.response {
        ResponseBody::Stream => writeln!(
            out,
            "            Ok(Outcome::Download(client.{}(request).await?))",
            op.name
        )
        .unwrap(),
        _ => writeln!(
            out,
            "            Outcome::json(&client.{}(request).await?)",
            op.name
        )
        .unwrap(),
    }
    writeln!(out, "        }}").unwrap();
}

/// `generated/mod.rs`.
pub fn module() -> String {
    format!(
        "{HEADER}\n//! The operation tables and dispatchers, generated from the spec.\n\npub mod build;\npub mod pipeline;\n"
    )
}
