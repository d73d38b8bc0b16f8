//! Renders `generated/paging.rs`: for every list operation that pages (offset/limit or page
//! number/size, in the query or the JSON body) and whose answer holds one list of items, a
//! `<op>_stream` method that yields the items and fetches pages as they are read.

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

const CURSORS: [(&str, Option<i64>); 4] = [
    ("offset", None),
    ("page_index", Some(0)),
    ("page_no", Some(1)),
    ("page", Some(1)),
];
const SIZES: [&str; 2] = ["limit", "page_size"];

fn find_knob(op: &Operation, spec: &Spec, wire: &str) -> Option<Knob> {
    if let Some(p) = op
        .params
        .iter()
        .find(|p| p.location == Location::Query && p.wire == wire)
    {
        return (p.schema["type"] == "integer").then(|| Knob {
            field: field_name(&p.attr),
            in_body: false,
            required: p.required,
        });
    }
    let Some(RequestBody::Json { schema, .. }) = &op.body else {
        return None;
    };
    let component = spec.schemas.get(ref_name(schema["$ref"].as_str()?))?;
    let prop = component["properties"].get(wire)?;
    let required = component["required"]
        .as_array()
        .is_some_and(|r| r.iter().any(|v| v == wire));
    (prop["type"] == "integer").then(|| Knob {
        field: field_name(prop["x-codearts-attr"].as_str().unwrap_or(wire)),
        in_body: true,
        required,
    })
}

/// The one array field of a component, with its wire name.
fn single_array(component: &Value) -> Option<(&String, &Value)> {
    let arrays: Vec<_> = component["properties"]
        .as_object()?
        .iter()
        .filter(|(_, s)| s["type"] == "array")
        .collect();
    (arrays.len() == 1).then(|| arrays[0])
}

fn plan(op: &Operation, spec: &Spec) -> Option<Plan> {
    let (cursor_wire, start) = CURSORS
        .iter()
        .find(|(wire, _)| find_knob(op, spec, wire).is_some())?;
    let cursor = find_knob(op, spec, cursor_wire)?;
    let size = SIZES.iter().find_map(|w| find_knob(op, spec, w));
    let style = match start {
        None => Style::Offset,
        Some(start) => Style::Page { start: *start },
    };
    if matches!(style, Style::Offset) && size.is_none() {
        return None;
    }
    let ResponseBody::Model(name) = &op.response else {
        return None;
    };
    let response = spec.schemas.get(name)?;
    let attr = |schema: &Value, wire: &str| {
        field_name(
            schema["properties"][wire]["x-codearts-attr"]
                .as_str()
                .unwrap_or(wire),
        )
    };
    let (items, array, holder) = if let Some((wire, array)) = single_array(response) {
        (vec![attr(response, wire)], array, response)
    } else {
        let result = response["properties"].get("result")?;
        let inner = spec.schemas.get(ref_name(result["$ref"].as_str()?))?;
        let (wire, array) = single_array(inner)?;
        (
            vec![attr(response, "result"), attr(inner, wire)],
            array,
            inner,
        )
    };
    let total = holder["properties"]
        .get("total")
        .filter(|t| t["type"] == "integer")
        .map(|_| {
            let mut path = items.clone();
            path.pop();
            path.push("total".to_owned());
            path
        });
    let body_type = match (&op.body, cursor.in_body) {
        (Some(RequestBody::Json { schema, .. }), true) => {
            let name = ref_name(schema["$ref"].as_str()?);
            // The stream may have to create the body: only when nothing in it is required.
            let required = spec.schemas.get(name)?["required"]
                .as_array()
                .is_some_and(|r| !r.is_empty());
            if required {
                return None;
            }
            Some(name.to_owned())
        }
        _ => None,
    };
    Some(Plan {
        style,
        cursor,
        size,
        item_type: rust_type(&array["items"], "M::"),
        items,
        total,
        body_type,
    })
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

pub fn render(spec: &Spec, f: &Facade) -> (String, usize) {
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
        let Some(plan) = plan(op, spec) else { continue };
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
        writeln!(out, "            move |request| {{ let client = client.clone(); async move {{ client.{}(request).await }} }},", op.name).unwrap();
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
    (out, count)
}
