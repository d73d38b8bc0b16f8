//! Renders `crates/codearts-model/src/generated/<service>.rs`: components, request parameter
//! bundles, multipart bodies and bare-body responses.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use serde_json::Value;

use super::rust::{bare, field_name, has_default, literal, looks_secret, rust_type};
use super::spec::{Location, Operation, RequestBody, ResponseBody, Spec};
use super::HEADER;

/// One field of a rendered struct.
struct Field {
    name: String,
    wire: String,
    ty: String,
    required: bool,
    secret: bool,
    /// `Default` exists for the type (so a required field may be absent on the wire).
    defaultable: bool,
    /// Filled from a response header, not the body.
    header: bool,
    doc: String,
}

/// How a struct is rendered.
struct Shape {
    serde: bool,
    transparent: bool,
    default: bool,
}

pub fn render(spec: &Spec, title: &str) -> String {
    let schemas = &spec.schemas;
    // Components whose every required field can be defaulted derive `Default` (iterate to a
    // fixed point: a component's default depends on its fields' components).
    let mut defaults: BTreeSet<String> = BTreeSet::new();
    loop {
        let before = defaults.len();
        for (name, schema) in schemas {
            let required = required_of(schema);
            let ok = props(schema).all(|(wire, s)| {
                !required.contains(wire) || has_default(s, &|n| defaults.contains(n))
            });
            if ok {
                defaults.insert(name.clone());
            }
        }
        if defaults.len() == before {
            break;
        }
    }
    let is_default = |n: &str| defaults.contains(n);
    let response_headers: BTreeMap<&str, &Operation> = spec
        .operations
        .iter()
        .filter(|op| !op.response_headers.is_empty())
        .filter_map(|op| match &op.response {
            ResponseBody::Model(m) => Some((m.as_str(), op)),
            _ => None,
        })
        .collect();

    let mut out = String::new();
    writeln!(out, "{HEADER}").unwrap();
    writeln!(out, "//! The request and response types of {title}.").unwrap();
    writeln!(out).unwrap();
    writeln!(out, "#![allow(clippy::all)]").unwrap();
    writeln!(out).unwrap();
    writeln!(out, "pub use crate::FilePart;").unwrap();
    writeln!(out).unwrap();

    for (name, schema) in schemas {
        let required = required_of(schema);
        let mut fields: Vec<Field> = props(schema)
            .map(|(wire, s)| {
                let attr = s["x-codearts-attr"].as_str().unwrap_or(wire);
                let req = required.contains(wire);
                Field {
                    name: field_name(attr),
                    wire: wire.clone(),
                    ty: rust_type(s, ""),
                    required: req,
                    secret: s["x-codearts-sensitive"].as_bool() == Some(true) || looks_secret(wire),
                    defaultable: has_default(s, &is_default),
                    header: false,
                    doc: format!("`{wire}`{}", if req { " (required)." } else { "." }),
                }
            })
            .collect();
        if let Some(op) = response_headers.get(name.as_str()) {
            for (wire, attr) in &op.response_headers {
                fields.push(header_field(wire, attr));
            }
        }
        let doc = format!("The `{name}` object.");
        let shape = Shape {
            serde: true,
            transparent: false,
            default: is_default(name),
        };
        render_struct(&mut out, name, &doc, &fields, &shape);
    }

    for op in &spec.operations {
        render_request(&mut out, op, &is_default);
        match &op.response {
            ResponseBody::Bare(schema) => {
                let mut fields = vec![Field {
                    name: "body".to_owned(),
                    wire: "body".to_owned(),
                    ty: rust_type(schema, ""),
                    required: false,
                    secret: false,
                    defaultable: true,
                    header: false,
                    doc: "The response body.".to_owned(),
                }];
                for (wire, attr) in &op.response_headers {
                    fields.push(header_field(wire, attr));
                }
                let doc = format!("The answer of `{}`.", op.name);
                let shape = Shape {
                    serde: true,
                    transparent: true,
                    default: true,
                };
                render_struct(&mut out, &op.response_type, &doc, &fields, &shape);
            }
            ResponseBody::Empty => {
                let fields: Vec<Field> = op
                    .response_headers
                    .iter()
                    .map(|(wire, attr)| header_field(wire, attr))
                    .collect();
                let doc = format!("The answer of `{}`.", op.name);
                let shape = Shape {
                    serde: true,
                    transparent: false,
                    default: true,
                };
                render_struct(&mut out, &op.response_type, &doc, &fields, &shape);
            }
            ResponseBody::Model(_) | ResponseBody::Stream => {}
        }
    }
    out
}

fn header_field(wire: &str, attr: &str) -> Field {
    Field {
        name: field_name(attr),
        wire: wire.to_owned(),
        ty: "String".to_owned(),
        required: false,
        secret: looks_secret(wire),
        defaultable: true,
        header: true,
        doc: format!("The `{wire}` response header."),
    }
}

fn required_of(schema: &Value) -> BTreeSet<String> {
    schema["required"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect()
}

fn props(schema: &Value) -> impl Iterator<Item = (&String, &Value)> {
    schema["properties"].as_object().into_iter().flatten()
}

/// The request parameters of one operation: required ones through `new`, path parameters
/// first in the order of the path.
fn render_request(out: &mut String, op: &Operation, is_default: &dyn Fn(&str) -> bool) {
    let mut fields = Vec::new();
    for p in op.field_order() {
        let kind = match p.location {
            Location::Path => "Path",
            Location::Query => "Query",
            Location::Header => "Header",
        };
        fields.push(Field {
            name: field_name(&p.attr),
            wire: p.wire.clone(),
            ty: rust_type(&p.schema, ""),
            required: p.required,
            secret: p.sensitive || looks_secret(&p.wire),
            defaultable: true,
            header: false,
            doc: format!("{kind} parameter `{}`.", p.wire),
        });
    }
    if let Some(body) = &op.body {
        let ty = match body {
            RequestBody::Json { schema, .. } => rust_type(schema, ""),
            RequestBody::Multipart { properties } => {
                let form_type = format!("{}Body", op.request_type);
                let form_fields: Vec<Field> = properties
                    .iter()
                    .map(|f| Field {
                        name: field_name(&f.attr),
                        wire: f.wire.clone(),
                        ty: rust_type(&f.schema, ""),
                        required: f.required,
                        secret: looks_secret(&f.wire),
                        defaultable: has_default(&f.schema, is_default),
                        header: false,
                        doc: format!("Form field `{}`.", f.wire),
                    })
                    .collect();
                let doc = format!("The multipart form of `{}`.", op.name);
                let shape = Shape {
                    serde: false,
                    transparent: false,
                    default: false,
                };
                render_struct(out, &form_type, &doc, &form_fields, &shape);
                form_type
            }
        };
        fields.push(Field {
            name: "body".to_owned(),
            wire: "body".to_owned(),
            ty,
            required: false,
            secret: false,
            defaultable: true,
            header: false,
            doc: "The request body.".to_owned(),
        });
    }
    let doc = format!(
        "The parameters of `{}` (`{} {}`).",
        op.name, op.method, op.path
    );
    let shape = Shape {
        serde: false,
        transparent: false,
        default: false,
    };
    render_struct(out, &op.request_type, &doc, &fields, &shape);
}

fn render_struct(out: &mut String, name: &str, doc: &str, fields: &[Field], shape: &Shape) {
    let secret = fields.iter().any(|f| f.secret);
    let mut derives = vec!["Clone"];
    if !secret {
        derives.push("Debug");
    }
    if shape.default {
        derives.push("Default");
    }
    derives.push("PartialEq");
    if shape.serde {
        derives.push("serde::Serialize");
        derives.push("serde::Deserialize");
    }
    writeln!(out, "/// {doc}").unwrap();
    writeln!(out, "#[derive({})]", derives.join(", ")).unwrap();
    if shape.transparent {
        writeln!(out, "#[serde(transparent)]").unwrap();
    }
    writeln!(out, "#[non_exhaustive]").unwrap();
    writeln!(out, "pub struct {name} {{").unwrap();
    for f in fields {
        writeln!(out, "    /// {}", f.doc).unwrap();
        if shape.serde {
            if f.header {
                writeln!(out, "    #[serde(skip)]").unwrap();
            } else if shape.transparent {
                // The one field is the whole body.
            } else if f.required {
                let default = if f.defaultable { ", default" } else { "" };
                writeln!(out, "    #[serde(rename = {}{default})]", literal(&f.wire)).unwrap();
            } else {
                writeln!(
                    out,
                    "    #[serde(rename = {}, default, skip_serializing_if = \"Option::is_none\")]",
                    literal(&f.wire)
                )
                .unwrap();
            }
        }
        writeln!(out, "    pub {}: {},", f.name, field_type(f)).unwrap();
    }
    writeln!(out, "}}\n").unwrap();

    // Constructor: required fields as arguments.
    let required: Vec<&Field> = fields.iter().filter(|f| f.required).collect();
    writeln!(out, "impl {name} {{").unwrap();
    let args: Vec<String> = required
        .iter()
        .map(|f| format!("{}: {}", f.name, into_type(&f.ty)))
        .collect();
    if required.is_empty() {
        writeln!(out, "    /// A value with every field unset.").unwrap();
    } else {
        writeln!(
            out,
            "    /// A value with the required fields set and the others unset."
        )
        .unwrap();
    }
    writeln!(out, "    pub fn new({}) -> Self {{", args.join(", ")).unwrap();
    writeln!(out, "        {name} {{").unwrap();
    for f in fields {
        if f.required {
            writeln!(out, "            {}: {}.into(),", f.name, f.name).unwrap();
        } else {
            writeln!(out, "            {}: None,", f.name).unwrap();
        }
    }
    writeln!(out, "        }}").unwrap();
    writeln!(out, "    }}").unwrap();
    for f in fields {
        writeln!(out, "\n    /// Sets {}", lower_first(&f.doc)).unwrap();
        let value = if f.required {
            "v.into()"
        } else {
            "Some(v.into())"
        };
        writeln!(
            out,
            "    pub fn set_{}(mut self, v: {}) -> Self {{ self.{} = {value}; self }}",
            bare(&f.name),
            into_type(&f.ty),
            f.name
        )
        .unwrap();
    }
    writeln!(out, "}}\n").unwrap();

    if secret {
        writeln!(out, "impl std::fmt::Debug for {name} {{").unwrap();
        writeln!(
            out,
            "    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {{"
        )
        .unwrap();
        writeln!(out, "        f.debug_struct({})", literal(name)).unwrap();
        for field in fields {
            let label = literal(bare(&field.name));
            if field.secret {
                writeln!(out, "            .field({label}, &crate::Redacted)").unwrap();
            } else {
                writeln!(out, "            .field({label}, &self.{})", field.name).unwrap();
            }
        }
        writeln!(out, "            .finish()").unwrap();
        writeln!(out, "    }}").unwrap();
        writeln!(out, "}}\n").unwrap();
    }
}

fn field_type(f: &Field) -> String {
    if f.required {
        f.ty.clone()
    } else {
        format!("Option<{}>", f.ty)
    }
}

fn into_type(ty: &str) -> String {
    format!("impl Into<{ty}>")
}

fn lower_first(text: &str) -> String {
    let mut c = text.chars();
    match c.next() {
        Some(f) if f.is_ascii_uppercase() => f.to_ascii_lowercase().to_string() + c.as_str(),
        Some(f) => f.to_string() + c.as_str(),
        None => String::new(),
    }
}
