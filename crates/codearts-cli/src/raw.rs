//! `codearts raw METHOD PATH`: an authenticated request to any endpoint.

use std::io::{IsTerminal, Write};

use clap::ArgMatches;
use codearts_auth::AuthLayer;
use codearts_build::BuildClient;
use codearts_pipeline::PipelineClient;
use codearts_transport::encoding::parse_query;
use codearts_transport::http::{HeaderMap, Method, StatusCode};
use codearts_transport::{Endpoint, OperationRequest, SharedHttpClient};

use crate::context::Globals;
use crate::ops::read_body_arg;
use crate::output;
use crate::{CliError, EXIT_ERROR, EXIT_OK};

/// The largest answer `raw` reads (64 MiB).
const RAW_BODY_LIMIT: usize = 64 * 1024 * 1024;

/// Runs `raw`; the exit code is 0 for a 2xx answer and 2 otherwise.
pub async fn run(globals: &Globals, matches: &ArgMatches) -> Result<u8, CliError> {
    let method_text = matches
        .get_one::<String>("method")
        .cloned()
        .unwrap_or_default();
    let method = Method::from_bytes(method_text.to_ascii_uppercase().as_bytes())
        .map_err(|_| CliError::usage(format!("`{method_text}` is not an HTTP method")))?;
    let target = matches
        .get_one::<String>("path")
        .cloned()
        .unwrap_or_default();
    if !target.starts_with('/') {
        return Err(CliError::usage(format!(
            "the path must start with `/` (got `{target}`); the endpoint comes from --endpoint or --region"
        )));
    }
    let (path, inline_query) = target.split_once('?').unwrap_or((&target, ""));
    let mut op = OperationRequest::new(method, path.to_owned());
    for (k, v) in parse_query(inline_query) {
        op = op.query(k, v);
    }
    for pair in matches.get_many::<String>("query").into_iter().flatten() {
        let (k, v) = pair
            .split_once('=')
            .ok_or_else(|| CliError::usage(format!("--query `{pair}`: write KEY=VALUE")))?;
        op = op.query(k, v);
    }
    let mut has_content_type = false;
    for pair in matches.get_many::<String>("header").into_iter().flatten() {
        let (k, v) = pair
            .split_once(':')
            .ok_or_else(|| CliError::usage(format!("--header `{pair}`: write NAME:VALUE")))?;
        has_content_type |= k.trim().eq_ignore_ascii_case("content-type");
        op = op.header(k.trim(), v.trim())?;
    }
    if let Some(arg) = matches.get_one::<String>("body") {
        let text = read_body_arg(arg)?;
        if !has_content_type {
            op = op.content_type("application/json")?;
        }
        op = op.body(text.into_bytes());
    }

    let service = matches
        .get_one::<String>("service")
        .map(String::as_str)
        .unwrap_or("pipeline");
    let untyped = match service {
        "pipeline" => globals
            .builder::<PipelineClient>()?
            .body_limit(RAW_BODY_LIMIT)
            .build_untyped()?,
        "build" => globals
            .builder::<BuildClient>()?
            .body_limit(RAW_BODY_LIMIT)
            .build_untyped()?,
        "iam" => {
            let (http, endpoint) = iam_stack(globals)?;
            let request = op.into_request(&endpoint)?;
            let response = http.send(request).await?;
            let (parts, body) = response.into_parts();
            let body = body.collect(RAW_BODY_LIMIT).await?;
            return Ok(print(globals, parts.status, &parts.headers, &body));
        }
        other => {
            return Err(CliError::usage(format!(
                "unknown service `{other}`: pipeline, build or iam"
            )))
        }
    };
    let response = untyped.send_any_status(op).await?;
    Ok(print(
        globals,
        response.status,
        &response.headers,
        &response.body,
    ))
}

/// Prints an answer: the status and request id on stderr, the body on stdout; the exit code.
fn print(globals: &Globals, status: StatusCode, headers: &HeaderMap, body: &[u8]) -> u8 {
    let request_id = codearts_transport::request_id_of(headers)
        .map(|id| format!(" (request id {id})"))
        .unwrap_or_default();
    eprintln!("HTTP {status}{}", output::escape_control(&request_id));
    let mut stdout = std::io::stdout().lock();
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(value) if !body.is_empty() => {
            let _ = stdout.write_all(output::render(&value, globals.output).as_bytes());
        }
        // Raw bytes to a file or a pipe; on a terminal, text with controls escaped.
        _ if stdout.is_terminal() => {
            let _ = stdout.write_all(output::escape_bytes(body).as_bytes());
        }
        _ => {
            let _ = stdout.write_all(body);
        }
    }
    let _ = stdout.flush();
    if status.is_success() {
        EXIT_OK
    } else {
        EXIT_ERROR
    }
}

/// IAM has no typed client here: its authenticated stack and endpoint (--endpoint,
/// --iam-endpoint or the region's IAM endpoint).
fn iam_stack(globals: &Globals) -> Result<(SharedHttpClient, Endpoint), CliError> {
    let url = match (&globals.endpoint, &globals.iam_endpoint, &globals.region) {
        (Some(url), _, _) | (None, Some(url), _) => Endpoint::parse(url)?,
        (None, None, Some(region)) => codearts_auth::iam_endpoint_for_region(region)?,
        (None, None, None) => {
            return Err(CliError::usage(
                "iam: set --region, --endpoint or --iam-endpoint",
            ))
        }
    };
    let resolved = globals.chain().resolve()?;
    let credentials = globals.credentials()?;
    let layer = AuthLayer::from_credentials(
        credentials,
        globals.http()?,
        resolved.iam_endpoint.or_else(|| Some(url.clone())),
    )?;
    Ok((std::sync::Arc::new(layer), url))
}
