//! A typed reading of one `spec/*.json` file (see `docs/spec-format.md`).

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Map, Value};

/// One service's spec.
pub struct Spec {
    /// `codeartspipeline`, `codeartsbuild` or `iam`.
    pub service: String,
    /// Region id and endpoint, in the official order.
    pub regions: Vec<(String, String)>,
    /// Operations sorted by name.
    pub operations: Vec<Operation>,
    /// Component schemas by name.
    pub schemas: BTreeMap<String, Value>,
}

/// Where a parameter goes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Location {
    Path,
    Query,
    Header,
}

/// One request parameter.
pub struct Param {
    pub wire: String,
    pub attr: String,
    pub location: Location,
    pub required: bool,
    pub schema: Value,
    pub sensitive: bool,
}

/// What the request body is.
pub enum RequestBody {
    /// JSON (or another serialized type) with this schema.
    Json { content_type: String, schema: Value },
    /// A multipart form with these fields.
    Multipart { properties: Vec<FormField> },
}

/// One field of a multipart form.
pub struct FormField {
    pub wire: String,
    pub attr: String,
    pub required: bool,
    pub schema: Value,
}

/// What a success response is.
pub enum ResponseBody {
    /// A component schema (a struct).
    Model(String),
    /// A bare value held in a `body` field (a string or an array).
    Bare(Value),
    /// A download: the body streams.
    Stream,
    /// Nothing to decode.
    Empty,
}

/// One operation.
pub struct Operation {
    pub name: String,
    pub method: String,
    pub path: String,
    pub request_type: String,
    pub response_type: String,
    pub params: Vec<Param>,
    pub body: Option<RequestBody>,
    pub content_type: String,
    pub response: ResponseBody,
    /// Response headers: (wire name, attribute).
    pub response_headers: Vec<(String, String)>,
    /// `x-codearts-retry`: `Some(true)` for "idempotent", `Some(false)` for "unsafe"; `None`
    /// when unmarked (only IAM, which has no facade).
    pub idempotent: Option<bool>,
    /// `x-codearts-paging`, as the overlay wrote it (checked by the paging renderer).
    pub paging: Option<Value>,
}

impl Spec {
    /// Reads and checks a spec file.
    pub fn load(path: &Path) -> Result<Spec, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let doc: Value = serde_json::from_str(&text)
            .map_err(|e| format!("{} is not JSON: {e}", path.display()))?;
        let at = |what: &str| format!("{}: {what}", path.display());
        let service = doc["x-codearts-service"]
            .as_str()
            .ok_or_else(|| at("no x-codearts-service"))?
            .to_owned();
        let regions = doc["x-codearts-regions"]
            .as_array()
            .ok_or_else(|| at("no x-codearts-regions"))?
            .iter()
            .map(|r| {
                Ok((
                    str_of(r, "id").ok_or_else(|| at("region without id"))?,
                    str_of(r, "endpoint").ok_or_else(|| at("region without endpoint"))?,
                ))
            })
            .collect::<Result<Vec<_>, String>>()?;
        let schemas = doc["components"]["schemas"]
            .as_object()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        let mut operations = Vec::new();
        for (path_template, methods) in obj(&doc["paths"]) {
            for (method, op) in obj(methods) {
                operations.push(read_operation(path_template, method, op).map_err(|e| at(&e))?);
            }
        }
        operations.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(Spec {
            service,
            regions,
            operations,
            schemas,
        })
    }
}

fn obj(value: &Value) -> impl Iterator<Item = (&String, &Value)> {
    value.as_object().into_iter().flat_map(Map::iter)
}

fn str_of(value: &Value, key: &str) -> Option<String> {
    value.get(key)?.as_str().map(str::to_owned)
}

fn read_operation(path: &str, method: &str, op: &Value) -> Result<Operation, String> {
    let name = str_of(op, "operationId").ok_or("operation without operationId")?;
    let err = |what: &str| format!("operation {name}: {what}");
    let mut params = Vec::new();
    for p in op["parameters"].as_array().into_iter().flatten() {
        let location = match p["in"].as_str() {
            Some("path") => Location::Path,
            Some("query") => Location::Query,
            Some("header") => Location::Header,
            other => return Err(err(&format!("unknown parameter location {other:?}"))),
        };
        let wire = str_of(p, "name").ok_or_else(|| err("parameter without name"))?;
        params.push(Param {
            attr: str_of(p, "x-codearts-attr").unwrap_or_else(|| wire.clone()),
            wire,
            location,
            required: p["required"].as_bool().unwrap_or(false) || location == Location::Path,
            schema: p["schema"].clone(),
            sensitive: p["x-codearts-sensitive"].as_bool().unwrap_or(false),
        });
    }
    let content_type = str_of(op, "x-codearts-content-type").unwrap_or_default();
    let body = match op.get("requestBody") {
        None => None,
        Some(rb) => {
            let (ct, content) = obj(&rb["content"])
                .next()
                .ok_or_else(|| err("requestBody without content"))?;
            let schema = content["schema"].clone();
            if ct.starts_with("multipart/form-data") {
                let required: Vec<&str> = schema["required"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                let properties = obj(&schema["properties"])
                    .map(|(wire, s)| FormField {
                        attr: str_of(s, "x-codearts-attr").unwrap_or_else(|| wire.clone()),
                        required: required.contains(&wire.as_str()),
                        wire: wire.clone(),
                        schema: s.clone(),
                    })
                    .collect();
                Some(RequestBody::Multipart { properties })
            } else {
                Some(RequestBody::Json {
                    content_type: ct.clone(),
                    schema,
                })
            }
        }
    };
    let ok = &op["responses"]["200"];
    let response_headers = obj(&ok["headers"])
        .map(|(wire, h)| {
            (
                wire.clone(),
                str_of(h, "x-codearts-attr").unwrap_or_else(|| wire.to_lowercase()),
            )
        })
        .collect();
    let response = if op["x-codearts-stream-response"].as_bool() == Some(true) {
        ResponseBody::Stream
    } else if let Some((_, content)) = obj(&ok["content"]).next() {
        let schema = &content["schema"];
        if ok.get("x-codearts-body-attr").is_some() {
            ResponseBody::Bare(schema.clone())
        } else if let Some(r) = schema["$ref"].as_str() {
            ResponseBody::Model(ref_name(r).to_owned())
        } else {
            return Err(err(
                "response content is neither a $ref nor a body attribute",
            ));
        }
    } else {
        ResponseBody::Empty
    };
    let idempotent = match op.get("x-codearts-retry").map(|v| v.as_str()) {
        None => None,
        Some(Some("idempotent")) => Some(true),
        Some(Some("unsafe")) => Some(false),
        Some(other) => return Err(err(&format!("x-codearts-retry is {other:?}"))),
    };
    Ok(Operation {
        request_type: str_of(op, "x-codearts-request")
            .ok_or_else(|| err("no x-codearts-request"))?,
        response_type: str_of(op, "x-codearts-response")
            .ok_or_else(|| err("no x-codearts-response"))?,
        name,
        method: method.to_uppercase(),
        path: path.to_owned(),
        params,
        body,
        content_type,
        response,
        response_headers,
        idempotent,
        paging: op.get("x-codearts-paging").cloned(),
    })
}

impl Operation {
    /// The parameters in the order of the request struct's fields: required ones first (they
    /// are the arguments of `new`, in this order), path parameters in path order before query
    /// ones, otherwise as declared.
    pub fn field_order(&self) -> Vec<&Param> {
        let path_order = |wire: &str| self.path.find(&format!("{{{wire}}}")).unwrap_or(usize::MAX);
        let mut params: Vec<&Param> = self.params.iter().collect();
        params.sort_by_key(|p| {
            (
                !p.required,
                p.location != Location::Path,
                path_order(&p.wire),
            )
        });
        params
    }
}

/// The component name a `$ref` points at.
pub fn ref_name(reference: &str) -> &str {
    reference.rsplit('/').next().unwrap_or(reference)
}
