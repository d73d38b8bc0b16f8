//! Renders `generated/paging.rs`: for every operation whose spec carries `x-codearts-paging`
//! (offset/limit or page number/size, in the query or the JSON body; hand-reviewed in
//! `spec/overlay/`), a `<op>_stream` method that yields the items and fetches pages as they
//! are read. Metadata that does not fit the operation stops the generator.

use std::fmt::Write;

use serde_json::Value;

use super::facade::Facade;
use super::rust::{field_name, rust_type};
use super::spec::{ref_name, Location, Operation, RequestBody, ResponseBody, Spec};
use super::HEADER;

/// How an operation pages.
enum Style {
    /// `offset` counts items.
    Offset,
    /// A page number that starts at `start`.
    Page { start: i64 },
}

/// A paging field of the request: in the query (a request field) or the body.
struct Knob {
    field: String,
    in_body: bool,
    required: bool,
}

struct Plan {
    style: Style,
    cursor: Knob,
    size: Option<Knob>,
    /// Field path from the response to the items, e.g. `["result", "jobs"]`.
    items: Vec<String>,
    item_type: String,
    /// Field path to a `total` count next to the items, if any (offset style only).
    total: Option<Vec<String>>,
    body_type: Option<String>,
}

/// The paging field `wire` of the request, where the metadata says it is.
fn find_knob(op: &Operation, spec: &Spec, wire: &str, in_body: bool) -> Result<Knob, String> {
    let err = |what: &str| format!("operation {}: paging field `{wire}` {what}", op.name);
    if !in_body {
        let p = op
            .params
            .iter()
            .find(|p| p.location == Location::Query && p.wire == wire)
            .ok_or_else(|| err("is not a query parameter"))?;
        if p.schema["type"] != "integer" {
            return Err(err("is not an integer"));
        }
        return Ok(Knob {
            field: field_name(&p.attr),
            in_body: false,
            required: p.required,
        });
    }
    let component = body_component(op, spec).ok_or_else(|| err("has no JSON body to live in"))?;
    let prop = component["properties"]
        .get(wire)
        .ok_or_else(|| err("is not in the body"))?;
    if prop["type"] != "integer" {
        return Err(err("is not an integer"));
    }
    let required = component["required"]
        .as_array()
        .is_some_and(|r| r.iter().any(|v| v == wire));
    Ok(Knob {
        field: field_name(prop["x-codearts-attr"].as_str().unwrap_or(wire)),
        in_body: true,
        required,
    })
}

/// The component of the operation's JSON body, if it has one.
fn body_component<'s>(op: &Operation, spec: &'s Spec) -> Option<&'s Value> {
    let Some(RequestBody::Json { schema, .. }) = &op.body else {
        return None;
    };
    spec.schemas.get(ref_name(schema["$ref"].as_str()?))
}

/// Follows a dotted wire path from `start`; returns the Rust field path and the leaf schema.
fn walk<'s>(spec: &'s Spec, start: &'s Value, path: &str) -> Option<(Vec<String>, &'s Value)> {
    let mut holder = start;
    let mut fields = Vec::new();
    let mut leaf: Option<&Value> = None;
    for (i, wire) in path.split('.').enumerate() {
        if i > 0 {
            holder = spec.schemas.get(ref_name(leaf?.get("$ref")?.as_str()?))?;
        }
        let prop: &Value = holder["properties"].get(wire)?;
        fields.push(field_name(prop["x-codearts-attr"].as_str().unwrap_or(wire)));
        leaf = Some(prop);
    }
    Some((fields, leaf?))
}

/// The paging plan of an operation from its `x-codearts-paging` metadata (see
/// `docs/spec-format.md`); `None` when the operation does not page.
fn plan(op: &Operation, spec: &Spec) -> Result<Option<Plan>, String> {
    let Some(meta) = &op.paging else {
        return Ok(None);
    };
    let err = |what: &str| format!("operation {}: x-codearts-paging: {what}", op.name);
    let text = |key: &str| meta[key].as_str();
    let in_body = text("in") == Some("body");
    let style = match (text("style"), meta["first"].as_i64()) {
        (Some("offset"), None) => Style::Offset,
        (Some("page"), Some(start)) => Style::Page { start },
        _ => return Err(err("`style` is offset (no `first`) or page (with `first`)")),
    };
    let cursor = find_knob(
        op,
        spec,
        text("cursor").ok_or_else(|| err("no `cursor`"))?,
        in_body,
    )?;
    let size = text("size")
        .map(|wire| find_knob(op, spec, wire, in_body))
        .transpose()?;
    if matches!(style, Style::Offset) && size.is_none() {
        return Err(err("the offset style needs `size`"));
    }
    let ResponseBody::Model(name) = &op.response else {
        return Err(err("the response is not a model"));
    };
    let response = spec
        .schemas
        .get(name)
        .ok_or_else(|| err("the response model is missing"))?;
    let items_wire = text("items").ok_or_else(|| err("no `items`"))?;
    let (items, array) = walk(spec, response, items_wire)
        .filter(|(_, s)| s["type"] == "array")
        .ok_or_else(|| err(&format!("`{items_wire}` is not an array of the response")))?;
    let total = match text("total") {
        None => None,
        Some(wire) => Some(
            walk(spec, response, wire)
                .filter(|(_, s)| s["type"] == "integer")
                .ok_or_else(|| err(&format!("`{wire}` is not an integer of the response")))?
                .0,
        ),
    };
    let body_type = if in_body {
        let Some(RequestBody::Json { schema, .. }) = &op.body else {
            return Err(err(
                "the paging fields are in a body the operation does not send",
            ));
        };
        let name = ref_name(schema["$ref"].as_str().unwrap_or_default());
        // The stream may have to create the body: only when nothing in it is required.
        if body_component(op, spec)
            .is_some_and(|c| c["required"].as_array().is_some_and(|r| !r.is_empty()))
        {
            return Err(err(
                "the body has required fields, so a stream cannot create it",
            ));
        }
        Some(name.to_owned())
    } else {
        None
    };
    Ok(Some(Plan {
        style,
        cursor,
        size,
        item_type: rust_type(&array["items"], "M::"),
        items,
        total,
        body_type,
    }))
}

/// Reads an `Option<i64>` from a knob of `request`.
fn read(knob: &Knob) -> String {
    match (knob.in_body, knob.required) {
        (false, false) => format!("request.{}", knob.field),
        (false, true) => format!("Some(request.{})", knob.field),
        (true, false) => format!("request.body.as_ref().and_then(|b| b.{})", knob.field),
        (true, true) => format!("request.body.as_ref().map(|b| b.{})", knob.field),
    }
}

/// The `i64` a knob of `request` holds, or `default` when unset.
fn current(knob: &Knob, default: i64) -> String {
    match (knob.in_body, knob.required) {
        (false, true) => format!("request.{}", knob.field),
        (true, true) => format!(
            "request.body.as_ref().map_or({default}, |b| b.{})",
            knob.field
        ),
        _ => format!("{}.unwrap_or({default})", read(knob)),
    }
}

/// Sets a knob of `next` to `value`.
fn write_knob(knob: &Knob, value: &str, body_type: Option<&str>) -> String {
    let wrapped = if knob.required {
        value.to_owned()
    } else {
        format!("Some({value})")
    };
    if knob.in_body {
        let body = body_type.unwrap_or("()");
        format!(
            "let mut body: M::{body} = next.body.take().unwrap_or_default(); body.{} = {wrapped}; next.body = Some(body);",
            knob.field
        )
    } else {
        format!("next.{} = {wrapped};", knob.field)
    }
}

/// Reads an `Option` field path of `root`; `borrow` reads a `Copy` leaf without moving the rest.
fn path_expr(root: &str, path: &[String], borrow: bool) -> String {
    let mut expr = format!("{root}.{}", path[0]);
    for step in &path[1..] {
        expr = if borrow {
            format!("{expr}.as_ref().and_then(|v| v.{step})")
        } else {
            format!("{expr}.and_then(|v| v.{step})")
        };
    }
    expr
}

pub fn render(spec: &Spec, f: &Facade) -> Result<(String, usize), String> {
    let mut out = String::new();
    writeln!(out, "{HEADER}").unwrap();
    writeln!(
        out,
        "//! Item streams over the paged list operations of {}.\n",
        f.title
    )
    .unwrap();
    // One template serves required and optional knobs and every first page number.
    writeln!(
        out,
        "#![allow(clippy::identity_op, clippy::unnecessary_literal_unwrap)]\n"
    )
    .unwrap();
    writeln!(out, "use {} as M;\n", f.model).unwrap();
    writeln!(out, "impl crate::{} {{", f.client).unwrap();
    let mut count = 0;
    for op in &spec.operations {
        let Some(plan) = plan(op, spec)? else {
            continue;
        };
        count += 1;
        let how = match plan.style {
            Style::Offset => "by offset".to_owned(),
            Style::Page { start } => format!(
                "by page number (the first page is {start} unless the request sets another)"
            ),
        };
        writeln!(
            out,
            "    /// Every item of [`Self::{}`], fetching pages {how} as the stream is read,",
            op.name
        )
        .unwrap();
        let end = if plan.total.is_some() {
            ", an empty page or the reported total"
        } else {
            " or an empty page"
        };
        writeln!(out, "    /// until a short page{end}.").unwrap();
        writeln!(
            out,
            "    pub fn {}_stream(&self, request: M::{}) -> codearts_transport::paging::ItemStream<{}> {{",
            op.name, op.request_type, plan.item_type
        )
        .unwrap();
        writeln!(
            out,
            "        self.{}_stream_with_options(request, codearts_transport::RequestOptions::default())",
            op.name
        )
        .unwrap();
        writeln!(out, "    }}\n").unwrap();
        writeln!(
            out,
            "    /// [`Self::{}_stream`], with `options` for every page's call.",
            op.name
        )
        .unwrap();
        writeln!(
            out,
            "    pub fn {}_stream_with_options(&self, request: M::{}, options: codearts_transport::RequestOptions) -> codearts_transport::paging::ItemStream<{}> {{",
            op.name, op.request_type, plan.item_type
        )
        .unwrap();
        writeln!(out, "        let client = self.clone();").unwrap();
        if let (Style::Page { start }, false) = (&plan.style, plan.cursor.required) {
            writeln!(out, "        let mut request = request;").unwrap();
            writeln!(out, "        if {}.is_none() {{", read(&plan.cursor)).unwrap();
            writeln!(out, "            let next = &mut request;").unwrap();
            writeln!(
                out,
                "            {}",
                write_knob(
                    &plan.cursor,
                    &format!("{start}i64"),
                    plan.body_type.as_deref()
                )
            )
            .unwrap();
            writeln!(out, "        }}").unwrap();
        }
        writeln!(out, "        codearts_transport::paging::paginate(").unwrap();
        writeln!(out, "            request,").unwrap();
        writeln!(out, "            move |request| {{ let client = client.clone(); let options = options.clone(); async move {{ client.{}(request).with_options(options).await }} }},", op.name).unwrap();
        writeln!(
            out,
            "            |request: &M::{}, response: M::{}| {{",
            op.request_type, op.response_type
        )
        .unwrap();
        if let Some(total) = &plan.total {
            writeln!(
                out,
                "                let total: Option<i64> = {};",
                path_expr("response", total, true)
            )
            .unwrap();
        }
        writeln!(
            out,
            "                let items: Vec<{}> = {}.unwrap_or_default();",
            plan.item_type,
            path_expr("response", &plan.items, false)
        )
        .unwrap();
        writeln!(out, "                let n = items.len() as i64;").unwrap();
        let size = plan
            .size
            .as_ref()
            .map(read)
            .unwrap_or_else(|| "None::<i64>".to_owned());
        writeln!(out, "                let size: Option<i64> = {size};").unwrap();
        writeln!(
            out,
            "                let full = n > 0 && size.is_none_or(|s| n >= s);"
        )
        .unwrap();
        let next_value = match plan.style {
            Style::Offset => format!("{} + n", current(&plan.cursor, 0)),
            Style::Page { start } => format!("{} + 1", current(&plan.cursor, start)),
        };
        writeln!(out, "                let next_value = {next_value};").unwrap();
        if plan.total.is_some() {
            let seen = match plan.style {
                Style::Offset => "next_value".to_owned(),
                // Full pages so far, from the first page number.
                Style::Page { start } => format!("(next_value - {start}) * size.unwrap_or(n)"),
            };
            writeln!(
                out,
                "                let more = full && total.is_none_or(|t| {seen} < t);"
            )
            .unwrap();
        } else {
            writeln!(out, "                let more = full;").unwrap();
        }
        writeln!(out, "                let next = more.then(|| {{").unwrap();
        writeln!(out, "                    let mut next = request.clone();").unwrap();
        writeln!(
            out,
            "                    {}",
            write_knob(&plan.cursor, "next_value", plan.body_type.as_deref())
        )
        .unwrap();
        writeln!(out, "                    next").unwrap();
        writeln!(out, "                }});").unwrap();
        writeln!(out, "                (items, next)").unwrap();
        writeln!(out, "            }},").unwrap();
        writeln!(out, "        )").unwrap();
        writeln!(out, "    }}\n").unwrap();
    }
    writeln!(out, "}}").unwrap();
    Ok((out, count))
}
