//! Renders a service facade crate's `src/generated/`: the client, the stub trait, the HTTP
//! implementation of the stub, and the region table.

use std::fmt::Write;

use super::rust::{bare, field_name, literal, rust_type, sentence};
use super::spec::{Location, Operation, RequestBody, ResponseBody, Spec};
use super::HEADER;

/// Names of one service's facade.
pub struct Facade {
    /// The client type, e.g. `PipelineClient`.
    pub client: &'static str,
    /// The stub trait, e.g. `Pipeline`.
    pub stub: &'static str,
    /// The model module, e.g. `codearts_model::pipeline`.
    pub model: &'static str,
    /// The crate name in code, e.g. `codearts_pipeline`.
    pub krate: &'static str,
    /// Human title, e.g. `CodeArts Pipeline`.
    pub title: &'static str,
    /// The body of the crate page's example (doc-comment markers are added).
    pub example: &'static str,
}

fn response_type(op: &Operation, f: &Facade) -> String {
    match op.response {
        ResponseBody::Stream => "codearts_transport::StreamingResponse".to_owned(),
        _ => format!("{}::{}", f.model, op.response_type),
    }
}

fn signature(op: &Operation, f: &Facade, request_name: &str, options_name: &str) -> String {
    format!(
        "async fn {}(&self, {request_name}: {}::{}, {options_name}: codearts_transport::RequestOptions) -> crate::Result<{}>",
        op.name,
        f.model,
        op.request_type,
        response_type(op, f)
    )
}

/// `generated/client.rs`.
pub fn client(spec: &Spec, f: &Facade) -> String {
    let mut out = String::new();
    writeln!(out, "{HEADER}").unwrap();
    writeln!(
        out,
        "//! [`{}`]: what users hold to call {}.\n",
        f.client, f.title
    )
    .unwrap();
    write!(
        out,
        r#"use std::sync::Arc;

/// A client of {title}: one method per operation.
///
/// Each method returns a [`codearts_transport::call::Call`]: await it to perform the
/// operation, or set options for that call first (`.attempt_timeout(..)`, `.never_retry()`,
/// `.with_options(..)`). Cheap to clone and safe to share between tasks. Build one with [`{client}::builder`], or
/// around a mock with [`{client}::from_stub`].
#[derive(Clone)]
pub struct {client} {{
    stub: Arc<dyn crate::stub::{stub}>,
}}

impl std::fmt::Debug for {client} {{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {{
        f.debug_struct({client_literal}).finish_non_exhaustive()
    }}
}}

impl {client} {{
    /// A builder: region or endpoint, credentials, HTTP client.
    pub fn builder() -> codearts_runtime::ClientBuilder<Self> {{
        codearts_runtime::ClientBuilder::new()
    }}

    /// A client that performs every operation through `stub`, e.g. a mock in unit tests.
    pub fn from_stub(stub: impl crate::stub::{stub} + 'static) -> Self {{
        {client} {{ stub: Arc::new(stub) }}
    }}
}}

impl codearts_runtime::ServiceClient for {client} {{
    const SERVICE: &'static str = {service};
    const REGIONS: &'static [codearts_transport::Region] = crate::generated::regions::REGIONS;

    fn from_http(http: codearts_transport::ServiceHttp) -> Self {{
        Self::from_stub(crate::generated::transport::HttpStub(http))
    }}
}}

"#,
        title = f.title,
        client = f.client,
        stub = f.stub,
        service = literal(&spec.service),
        client_literal = literal(f.client),
    )
    .unwrap();
    writeln!(out, "impl {} {{", f.client).unwrap();
    for op in &spec.operations {
        writeln!(out, "    /// {}.", sentence(&op.name)).unwrap();
        writeln!(out, "    ///").unwrap();
        writeln!(out, "    /// `{} {}`", op.method, op.path).unwrap();
        writeln!(out, "    ///").unwrap();
        if op.idempotent == Some(true) {
            writeln!(
                out,
                "    /// Safe to repeat: retried after time-outs and transient statuses."
            )
            .unwrap();
        } else {
            writeln!(
                out,
                "    /// Not repeated once the request may have reached the service."
            )
            .unwrap();
        }
        if matches!(op.response, ResponseBody::Stream) {
            writeln!(out, "    ///").unwrap();
            writeln!(
                out,
                "    /// The body is not read: stream it from the response."
            )
            .unwrap();
        }
        if let Some(example) = example(op, f) {
            writeln!(
                out,
                "    ///\n    /// # Example\n    ///\n    /// ```no_run"
            )
            .unwrap();
            for line in example.lines() {
                writeln!(out, "    /// {line}").unwrap();
            }
            writeln!(out, "    /// ```").unwrap();
        }
        writeln!(
            out,
            "    pub fn {}(&self, request: {}::{}) -> codearts_transport::call::Call<'_, {}> {{",
            op.name,
            f.model,
            op.request_type,
            response_type(op, f)
        )
        .unwrap();
        writeln!(out, "        let stub = &*self.stub;").unwrap();
        writeln!(
            out,
            "        codearts_transport::call::Call::new(move |options| stub.{}(request, options))",
            op.name
        )
        .unwrap();
        writeln!(out, "    }}\n").unwrap();
    }
    writeln!(out, "}}").unwrap();
    out
}

/// A compiling example for the seed operations.
fn example(op: &Operation, f: &Facade) -> Option<String> {
    let body = match op.name.as_str() {
        "reject_manual_review" => "let request = RejectManualReviewRequest::new(\n    \"project-id\", \"pipeline-id\", \"pipeline-run-id\", \"job-run-id\", \"step-run-id\",\n)\n.set_approval_description(\"artifact failed the security scan\");\nlet response = client.reject_manual_review(request).await?;\nassert_eq!(response.success, Some(true));",
        "show_project_job_permission" => "let request = ShowProjectJobPermissionRequest::new(\"project-id\", \"job-id\");\nlet response = client.show_project_job_permission(request).await?;\nif let Some(matrix) = response.result {\n    println!(\"may execute: {:?}\", matrix.is_execute);\n}",
        _ => return None,
    };
    Some(format!(
        "# async fn run() -> {krate}::Result<()> {{\nuse {krate}::{client};\nuse {model}::{request};\n\nlet client = {client}::builder().region(\"cn-north-4\").build()?;\n{body}\n# Ok(())\n# }}",
        krate = f.krate,
        client = f.client,
        model = f.model,
        request = op.request_type,
    ))
}

/// `generated/stub.rs`.
pub fn stub(spec: &Spec, f: &Facade) -> String {
    let mut out = String::new();
    writeln!(out, "{HEADER}").unwrap();
    writeln!(
        out,
        "//! The [`{}`] trait: one method per operation.\n",
        f.stub
    )
    .unwrap();
    writeln!(
        out,
        "/// What [`crate::{}`] calls to perform each operation.",
        f.client
    )
    .unwrap();
    writeln!(out, "///").unwrap();
    writeln!(
        out,
        "/// Every method has a default body that returns an [`crate::ErrorKind::Unimplemented`]"
    )
    .unwrap();
    writeln!(
        out,
        "/// error, so a mock implements only the operations a test needs, and adding operations"
    )
    .unwrap();
    writeln!(out, "/// breaks no implementation.").unwrap();
    writeln!(out, "#[async_trait::async_trait]").unwrap();
    writeln!(out, "pub trait {}: Send + Sync {{", f.stub).unwrap();
    for op in &spec.operations {
        writeln!(
            out,
            "    /// Performs [`crate::{}::{}`].",
            f.client, op.name
        )
        .unwrap();
        writeln!(out, "    {} {{", signature(op, f, "_request", "_options")).unwrap();
        writeln!(
            out,
            "        Err(crate::unimplemented({}))",
            literal(&op.name)
        )
        .unwrap();
        writeln!(out, "    }}\n").unwrap();
    }
    writeln!(out, "}}").unwrap();
    out
}

/// `generated/transport.rs`.
pub fn transport(spec: &Spec, f: &Facade) -> String {
    let mut out = String::new();
    writeln!(out, "{HEADER}").unwrap();
    writeln!(
        out,
        "//! The HTTP implementation of [`crate::stub::{}`].\n",
        f.stub
    )
    .unwrap();
    writeln!(out, "use codearts_transport::encoding::path_param;").unwrap();
    writeln!(out, "use codearts_transport::http::Method;").unwrap();
    writeln!(out, "use codearts_transport::OperationRequest;\n").unwrap();
    writeln!(
        out,
        "/// Sends each operation over HTTP to the service endpoint."
    )
    .unwrap();
    writeln!(out, "#[derive(Clone, Debug)]").unwrap();
    writeln!(
        out,
        "pub(crate) struct HttpStub(pub(crate) codearts_transport::ServiceHttp);\n"
    )
    .unwrap();
    writeln!(out, "#[async_trait::async_trait]").unwrap();
    writeln!(out, "impl crate::stub::{} for HttpStub {{", f.stub).unwrap();
    for op in &spec.operations {
        let used = !op.params.is_empty() || op.body.is_some();
        let name = if used { "request" } else { "_request" };
        writeln!(out, "    {} {{", signature(op, f, name, "options")).unwrap();
        render_body(&mut out, op, f);
        writeln!(out, "    }}\n").unwrap();
    }
    writeln!(out, "}}").unwrap();
    out
}

fn render_body(out: &mut String, op: &Operation, f: &Facade) {
    // Path: literal pieces and escaped parameters.
    let mut template = String::new();
    let mut args = Vec::new();
    let mut rest = op.path.as_str();
    while let Some(start) = rest.find('{') {
        let end = rest[start..]
            .find('}')
            .map(|e| start + e)
            .unwrap_or(rest.len());
        template.push_str(&rest[..start].replace('{', "{{").replace('}', "}}"));
        template.push_str("{}");
        let wire = &rest[start + 1..end];
        let param = op
            .params
            .iter()
            .find(|p| p.location == Location::Path && p.wire == wire);
        let field = param
            .map(|p| field_name(&p.attr))
            .unwrap_or_else(|| field_name(wire));
        let is_string = param.is_none_or(|p| rust_type(&p.schema, "") == "String");
        let value = if is_string {
            format!("&request.{field}")
        } else {
            format!("&request.{field}.to_string()")
        };
        args.push(format!("path_param({}, {value})?", literal(wire)));
        rest = &rest[(end + 1).min(rest.len())..];
    }
    template.push_str(rest);
    if args.is_empty() {
        writeln!(out, "        let path = {};", literal(&template)).unwrap();
    } else {
        writeln!(
            out,
            "        let path = format!({}, {});",
            literal(&template),
            args.join(", ")
        )
        .unwrap();
    }
    writeln!(out, "        #[allow(unused_mut)]").unwrap();
    writeln!(
        out,
        "        let mut op = OperationRequest::new(Method::{}, path).idempotent({}).options(options);",
        op.method,
        op.idempotent.unwrap_or(false)
    )
    .unwrap();
    for p in &op.params {
        let field = field_name(&p.attr);
        let wire = literal(&p.wire);
        let is_vec = p.schema["type"].as_str() == Some("array");
        match (p.location, p.required, is_vec) {
            (Location::Path, _, _) => {}
            (Location::Query, true, false) => {
                let borrow = if rust_type(&p.schema, "") == "String" { "&" } else { "" };
                writeln!(out, "        op = op.query({wire}, {borrow}request.{field});").unwrap()
            }
            (Location::Query, false, false) => {
                writeln!(out, "        op = op.query_opt({wire}, request.{field}.as_ref());").unwrap()
            }
            (Location::Query, true, true) => {
                writeln!(out, "        op = op.query_all({wire}, &request.{field});").unwrap()
            }
            (Location::Query, false, true) => writeln!(
                out,
                "        op = op.query_all({wire}, request.{field}.iter().flatten());"
            )
            .unwrap(),
            (Location::Header, true, _) => writeln!(
                out,
                "        op = op.header({wire}, &request.{field}.to_string())?;"
            )
            .unwrap(),
            (Location::Header, false, _) => writeln!(
                out,
                "        if let Some(v) = &request.{field} {{ op = op.header({wire}, &v.to_string())?; }}"
            )
            .unwrap(),
        }
    }
    match &op.body {
        None => {
            if !op.content_type.is_empty() {
                writeln!(
                    out,
                    "        op = op.content_type({})?;",
                    literal(&op.content_type)
                )
                .unwrap();
            }
        }
        Some(RequestBody::Json { content_type, .. }) => {
            writeln!(
                out,
                "        op = op.content_type({})?;",
                literal(content_type)
            )
            .unwrap();
            writeln!(
                out,
                "        if let Some(body) = &request.body {{ op = op.json(body)?; }}"
            )
            .unwrap();
        }
        Some(RequestBody::Multipart { properties }) => {
            writeln!(
                out,
                "        let mut form = codearts_transport::multipart::Form::new();"
            )
            .unwrap();
            writeln!(out, "        if let Some(body) = &request.body {{").unwrap();
            for p in properties {
                let field = field_name(&p.attr);
                let wire = literal(&p.wire);
                let is_file = p.schema["format"].as_str() == Some("binary");
                let (method, arg) = if is_file {
                    (
                        "file",
                        "v.file_name.as_str(), v.content_type.as_deref(), &v.data".to_owned(),
                    )
                } else {
                    ("text", "&v.to_string()".to_owned())
                };
                if p.required {
                    writeln!(out, "            let v = &body.{field};").unwrap();
                    writeln!(out, "            form = form.{method}({wire}, {arg});").unwrap();
                } else {
                    writeln!(out, "            if let Some(v) = &body.{field} {{ form = form.{method}({wire}, {arg}); }}").unwrap();
                }
            }
            writeln!(out, "        }}").unwrap();
            writeln!(out, "        let (content_type, bytes) = form.finish();").unwrap();
            writeln!(
                out,
                "        op = op.content_type(&content_type)?.body(bytes);"
            )
            .unwrap();
        }
    }
    match &op.response {
        ResponseBody::Stream => {
            writeln!(out, "        self.0.execute_streaming(op).await").unwrap();
        }
        ResponseBody::Model(_) => {
            writeln!(out, "        let response = self.0.execute(op).await?;").unwrap();
            if op.response_headers.is_empty() {
                writeln!(out, "        response.json()").unwrap();
            } else {
                writeln!(
                    out,
                    "        let mut out: {} = response.json()?;",
                    response_type(op, f)
                )
                .unwrap();
                for (wire, attr) in &op.response_headers {
                    writeln!(
                        out,
                        "        out.{} = response.header({}).map(str::to_owned);",
                        field_name(attr),
                        literal(wire)
                    )
                    .unwrap();
                }
                writeln!(out, "        Ok(out)").unwrap();
            }
        }
        ResponseBody::Bare(schema) => {
            writeln!(out, "        let response = self.0.execute(op).await?;").unwrap();
            if rust_type(schema, "") == "String" {
                writeln!(
                    out,
                    "        Ok({}::new().set_body(response.text()?))",
                    response_type(op, f)
                )
                .unwrap();
            } else {
                writeln!(out, "        response.json()").unwrap();
            }
        }
        ResponseBody::Empty => {
            writeln!(out, "        let _response = self.0.execute(op).await?;").unwrap();
            writeln!(out, "        #[allow(unused_mut)]").unwrap();
            writeln!(
                out,
                "        let mut out = {}::new();",
                response_type(op, f)
            )
            .unwrap();
            for (wire, attr) in &op.response_headers {
                writeln!(
                    out,
                    "        if let Some(v) = _response.header({}) {{ out = out.set_{}(v); }}",
                    literal(wire),
                    bare(&field_name(attr))
                )
                .unwrap();
            }
            writeln!(out, "        Ok(out)").unwrap();
        }
    }
}

/// `generated/regions.rs`.
pub fn regions(spec: &Spec, f: &Facade) -> String {
    let mut out = String::new();
    writeln!(out, "{HEADER}").unwrap();
    writeln!(
        out,
        "//! The regions where {} is offered, and their endpoints.\n",
        f.title
    )
    .unwrap();
    writeln!(out, "use codearts_transport::Region;\n").unwrap();
    writeln!(
        out,
        "/// Every region of {}, in the official order.",
        f.title
    )
    .unwrap();
    writeln!(out, "pub const REGIONS: &[Region] = &[").unwrap();
    for (id, endpoint) in &spec.regions {
        writeln!(
            out,
            "    Region::new({}, {}),",
            literal(id),
            literal(endpoint)
        )
        .unwrap();
    }
    writeln!(out, "];").unwrap();
    out
}

/// `generated/mod.rs`.
pub fn module(f: &Facade) -> String {
    format!(
        "{HEADER}\n//! Code generated from the {} spec.\n\npub mod client;\npub mod paging;\npub mod regions;\npub mod stub;\npub mod transport;\n",
        f.title
    )
}

/// A facade crate's `src/lib.rs`: the whole public surface of the service crate.
pub fn lib_rs(spec: &Spec, f: &Facade) -> String {
    let mut out = String::new();
    writeln!(out, "{HEADER}").unwrap();
    let krate = f.krate;
    let client = f.client;
    let title = f.title;
    let stub = f.stub;
    let count = spec.operations.len();
    let example: String = f
        .example
        .lines()
        .map(|line| format!("//! {line}").trim_end().to_owned() + "\n")
        .collect();
    write!(
        out,
        r#"//! An async client for Huawei Cloud {title}: all {count} operations of the service,
//! generated from the checked-in spec, with AK/SK signing or IAM tokens, typed errors, and a
//! stub trait to mock in unit tests.
//!
//! ```no_run
{example}//! ```
//!
//! This crate is all a program needs (with an async runtime such as tokio):
//! - [`{client}`] and its builder; each method returns a [`Call`]: await it as it is, or set
//!   [`RequestOptions`] for that one call first (time limits, retries, extra headers).
//!   [`config`] holds every type that configures a client:
//!   credentials of each kind and the chain that finds them, retry policy, backoff and budget,
//!   attempt and operation time limits, the HTTP client's settings or a replacement client,
//!   and [`config::UntypedClient`] for operations the spec lacks.
//! - [`model`]: the requests and responses; [`ItemStream`] for the paged operations' `*_stream`
//!   methods (read with [`StreamExt::next`]); [`StreamingResponse`] for downloads.
//! - [`Error`]: ask it for [`Error::kind`], [`Error::status`], [`Error::request_id`],
//!   [`Error::error_code`] and [`Error::error_msg`], or [`Error::is_retryable`] and
//!   [`Error::is_throttling`]; a mock builds a service's refusal with [`Error::service`].
//!   [`error`] has the rest.
//! - [`stub`]: the trait behind the client, to mock in unit tests.
//! - [`waiters`]: wait for what an operation started to end, with a backing-off interval, a
//!   timeout and a typed outcome.
#![warn(missing_docs)]

mod generated;
pub mod waiters;

pub use {model} as model;
pub use codearts_transport::paging::ItemStream;
/// Reads an [`ItemStream`] (`stream.next().await`), re-exported so no other crate is needed.
pub use futures_util::StreamExt;
pub use codearts_transport::{{call::Call, Error, ErrorKind, RequestOptions, StreamingResponse}};
pub use generated::client::{client};

/// The result of every operation.
pub type Result<T> = std::result::Result<T, Error>;

/// Everything that configures a [`{client}`]: `{client}::builder()` returns a
/// [`ClientBuilder`](config::ClientBuilder).
pub mod config {{
    pub use codearts_auth::{{
        AkSkCredentials, Credentials, CredentialsChain, CredentialsSource, PasswordCredentials,
        ResolvedCredentials, TokenScope,
    }};
    pub use codearts_runtime::{{ClientBuilder, UntypedClient}};
    pub use codearts_transport::retry::{{BackoffBuilder, NeverRetry, Outcome, RetryContext}};
    pub use codearts_transport::{{
        Backoff, Endpoint, HttpClient, Region, ReqwestClient, ReqwestClientBuilder, RetryBudget,
        RetryConfig, RetryPolicy, SharedHttpClient, StandardRetryPolicy, DEFAULT_BODY_LIMIT,
    }};
    /// The regions where {title} is offered, and their endpoints.
    pub use crate::generated::regions::REGIONS;
    /// What a replacement [`HttpClient`] receives and returns.
    pub mod http {{
        pub use codearts_transport::http::{{HeaderMap, HeaderValue, Method, StatusCode}};
        pub use codearts_transport::{{Body, ByteStream, Bytes, Request, Response}};
    }}
}}

/// Errors: [`Error`], its [`ErrorKind`], and the parsed body of a service's refusal.
pub mod error {{
    pub use codearts_transport::error_body::ServiceErrorBody;
    pub use codearts_transport::{{BoxError, Error, ErrorKind}};
}}

/// The trait behind [`{client}`], to implement or mock in tests.
///
/// Implementations use [`async_trait`](macro@stub::async_trait), re-exported here so a test needs
/// no extra dependency for it.
pub mod stub {{
    pub use crate::generated::stub::{stub};
    pub use async_trait::async_trait;
}}

/// The error a stub method returns when its implementation does not provide it.
pub(crate) fn unimplemented(operation: &str) -> Error {{
    Error::new(
        ErrorKind::Unimplemented,
        format!("`{{operation}}` is not implemented by this stub"),
    )
}}
"#,
        model = f.model,
    )
    .unwrap();
    if krate == "codearts_pipeline" {
        out.push_str(
            "\n/// The mocking guide's examples run as doctests of this crate.\n\
             #[cfg(doctest)]\n\
             #[doc = include_str!(\"../../../docs/mocking.md\")]\n\
             struct MockingGuide;\n",
        );
    }
    out
}

/// `codearts-auth`'s `src/iam_regions.rs`: IAM's endpoint in each region, from `spec/iam.json`.
pub fn iam_regions(iam: &Spec) -> String {
    let mut out = String::new();
    writeln!(out, "{HEADER}").unwrap();
    writeln!(
        out,
        "//! IAM's endpoint in each region, where password credentials get their tokens.\n"
    )
    .unwrap();
    writeln!(out, "/// Every region of IAM, in the official order.").unwrap();
    writeln!(out, "pub(crate) const IAM_REGIONS: &[(&str, &str)] = &[").unwrap();
    for (id, endpoint) in &iam.regions {
        writeln!(out, "    ({}, {}),", literal(id), literal(endpoint)).unwrap();
    }
    writeln!(out, "];").unwrap();
    out
}
