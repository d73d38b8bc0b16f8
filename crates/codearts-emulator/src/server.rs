//! The request handler: auth, routing, faults, dispatch, logging.

use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request};
use axum::response::Response;
use bytes::Bytes;
use codearts_auth::verify::{verify, ReceivedRequest, VerifyError};
use codearts_auth::SharedClock;
use futures_util::FutureExt;
use http::{HeaderValue, StatusCode};

use crate::adapter::{codes, ApiError, Input, Output, OutputBody};
use crate::conn::KillSwitch;
use crate::faults::{FaultKind, Faults};
use crate::iam::{Iam, IamError, TokenError};
use crate::router::{self, Found, Service};
use crate::state::{Caller, State};
use crate::LogEntry;

/// The largest body of a request to IAM's token endpoint: a password request is a few
/// hundred bytes, and it is read before anyone is authenticated.
const IAM_BODY_LIMIT: usize = 64 << 10;

/// How far `X-Sdk-Date` may be from the server's clock.
pub const MAX_CLOCK_SKEW: Duration = Duration::from_secs(15 * 60);

/// The authentication error codes (see `docs/emulator.md`).
pub mod auth_codes {
    /// No `Authorization` and no `X-Auth-Token`.
    pub const MISSING_AUTHORIZATION: &str = "APIGW.0301";
    /// `Authorization` is not `SDK-HMAC-SHA256 Access=…, SignedHeaders=…, Signature=…`.
    pub const MALFORMED_AUTHORIZATION: &str = "APIGW.0302";
    /// The access key is unknown.
    pub const UNKNOWN_ACCESS_KEY: &str = "APIGW.0303";
    /// The signature does not match the request.
    pub const SIGNATURE_MISMATCH: &str = "APIGW.0304";
    /// No signed `X-Sdk-Date`.
    pub const MISSING_DATE: &str = "APIGW.0305";
    /// `X-Sdk-Date` is not `YYYYMMDDTHHMMSSZ`.
    pub const MALFORMED_DATE: &str = "APIGW.0306";
    /// `X-Sdk-Date` is more than 15 minutes from the server clock. The message says
    /// "signature expired", as the cloud's gateway does, and the response's `Date` header is
    /// the emulator's clock, so clients can correct their own.
    pub const STALE_DATE: &str = "APIGW.0312";
    /// A header named in `SignedHeaders` is absent.
    pub const MISSING_SIGNED_HEADER: &str = "APIGW.0309";
    /// The `X-Auth-Token` was not issued by this emulator.
    pub const INVALID_TOKEN: &str = "APIGW.0310";
    /// The `X-Auth-Token` has expired: the cloud gateway's `0307`, "The token must be updated."
    pub const EXPIRED_TOKEN: &str = "APIGW.0307";
}

/// Bytes of request bodies read before their sender is authenticated, shared by every
/// request: unauthenticated uploads cannot grow the emulator's memory past `limit`.
#[derive(Debug)]
pub(crate) struct BodyBudget {
    limit: usize,
    used: Mutex<usize>,
    peak: std::sync::atomic::AtomicUsize,
    refused: std::sync::atomic::AtomicU64,
}

impl BodyBudget {
    pub(crate) fn new(limit: usize) -> Self {
        BodyBudget {
            limit,
            used: Mutex::new(0),
            peak: std::sync::atomic::AtomicUsize::new(0),
            refused: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// Bytes held now, the most held at once, and requests refused for want of budget.
    pub(crate) fn stats(&self) -> (usize, usize, u64) {
        use std::sync::atomic::Ordering::SeqCst;
        let used = *self.used.lock().unwrap_or_else(|e| e.into_inner());
        (used, self.peak.load(SeqCst), self.refused.load(SeqCst))
    }

    fn take(&self, n: usize) -> bool {
        let mut used = self.used.lock().unwrap_or_else(|e| e.into_inner());
        match used.checked_add(n).filter(|total| *total <= self.limit) {
            Some(total) => {
                *used = total;
                self.peak
                    .fetch_max(total, std::sync::atomic::Ordering::SeqCst);
                true
            }
            None => {
                self.refused
                    .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                false
            }
        }
    }

    fn give(&self, n: usize) {
        let mut used = self.used.lock().unwrap_or_else(|e| e.into_inner());
        *used = used.saturating_sub(n);
    }
}

/// The part of the budget one request's body holds, given back when it is dropped (once the
/// sender is authenticated, or the request refused).
struct Held<'a> {
    budget: &'a BodyBudget,
    bytes: usize,
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        self.budget.give(self.bytes);
    }
}

/// Everything a request needs.
pub(crate) struct Shared {
    pub(crate) console: crate::console::Console,
    pub(crate) state: Arc<State>,
    pub(crate) iam: Iam,
    pub(crate) faults: Faults,
    pub(crate) clock: SharedClock,
    pub(crate) log: Mutex<RequestLog>,
    /// Requests started, for distinct request ids even while several are in flight.
    pub(crate) started: std::sync::atomic::AtomicU64,
    /// The largest request body read.
    pub(crate) max_body: usize,
    /// Memory for bodies whose sender is not authenticated yet.
    pub(crate) budget: BodyBudget,
}

/// Reads a request body of at most `limit` bytes. A declared `Content-Length` over the limit
/// is refused before anything is read. With `budget`, every byte is first taken from it; a
/// body the budget cannot hold is refused (503) at once.
async fn read_body<'a>(
    body: Body,
    headers: &[(String, String)],
    limit: usize,
    budget: Option<&'a BodyBudget>,
) -> Result<(Bytes, Option<Held<'a>>), ApiError> {
    use futures_util::StreamExt;
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            codes::INVALID_BODY,
            format!("the body is larger than {limit} bytes"),
        )
    };
    let declared = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    let mut held = budget.map(|budget| Held { budget, bytes: 0 });
    let mut out = bytes::BytesMut::new();
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| {
            ApiError::bad_request(codes::INVALID_BODY, "the body could not be read")
        })?;
        if out.len() + chunk.len() > limit {
            return Err(too_large());
        }
        if let Some(h) = held.as_mut() {
            if !h.budget.take(chunk.len()) {
                return Err(ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    codes::BUSY,
                    "the emulator holds too many bodies of unauthenticated requests; retry later",
                ));
            }
            h.bytes += chunk.len();
        }
        out.extend_from_slice(&chunk);
    }
    Ok((out.freeze(), held))
}

/// What the request head alone says about the caller.
enum HeadAuth {
    /// A known, unexpired token: the caller is known before the body is read.
    Caller(Caller),
    /// A well-formed signature by a known key at an acceptable date: the body is needed to
    /// check it.
    Signed,
}

/// Every check that needs no body: a token is known, or the `Authorization` header parses,
/// names a known access key and signs a present, well-formed `X-Sdk-Date` within the clock
/// window and every header it lists. A request refused here is answered without reading its
/// body.
fn authenticate_head(shared: &Shared, headers: &[(String, String)]) -> Result<HeadAuth, ApiError> {
    let header = |name: &str| headers.iter().find(|(k, _)| k == name).map(|(_, v)| v);
    let Some(authorization) = header("authorization") else {
        if let Some(token) = header("x-auth-token") {
            return shared
                .iam
                .caller_for_token(token, shared.clock.now())
                .map(HeadAuth::Caller)
                .map_err(token_error);
        }
        return Err(unauthorized(
            auth_codes::MISSING_AUTHORIZATION,
            "the request has neither an Authorization nor an X-Auth-Token header",
        ));
    };
    let malformed = || {
        unauthorized(
            auth_codes::MALFORMED_AUTHORIZATION,
            VerifyError::MalformedAuthorization.to_string(),
        )
    };
    let auth = codearts_auth::verify::parse_authorization(authorization).ok_or_else(malformed)?;
    if shared.iam.secret_for(&auth.access_key).is_none() {
        return Err(unauthorized(
            auth_codes::UNKNOWN_ACCESS_KEY,
            VerifyError::UnknownAccessKey(auth.access_key).to_string(),
        ));
    }
    let missing_date = || {
        unauthorized(
            auth_codes::MISSING_DATE,
            VerifyError::MissingDate.to_string(),
        )
    };
    if !auth.signed_headers.iter().any(|h| h == "x-sdk-date") {
        return Err(missing_date());
    }
    let date = header("x-sdk-date").ok_or_else(missing_date)?;
    let date = codearts_auth::signer::parse_sdk_date(date).ok_or_else(|| {
        unauthorized(
            auth_codes::MALFORMED_DATE,
            VerifyError::MalformedDate.to_string(),
        )
    })?;
    check_skew(shared, date)?;
    if let Some(absent) = auth.signed_headers.iter().find(|h| header(h).is_none()) {
        return Err(unauthorized(
            auth_codes::MISSING_SIGNED_HEADER,
            VerifyError::MissingSignedHeader(absent.clone()).to_string(),
        ));
    }
    Ok(HeadAuth::Signed)
}

fn token_error(e: TokenError) -> ApiError {
    match e {
        TokenError::Unknown => unauthorized(
            auth_codes::INVALID_TOKEN,
            "the X-Auth-Token was not issued by IAM",
        ),
        TokenError::Expired => {
            unauthorized(auth_codes::EXPIRED_TOKEN, "The token must be updated.")
        }
    }
}

/// Refuses a signing date more than [`MAX_CLOCK_SKEW`] from the emulator's clock.
fn check_skew(shared: &Shared, date: std::time::SystemTime) -> Result<(), ApiError> {
    let now = shared.clock.now();
    let skew = match now.duration_since(date) {
        Ok(d) => d,
        Err(e) => e.duration(),
    };
    if skew > MAX_CLOCK_SKEW {
        return Err(unauthorized(
            auth_codes::STALE_DATE,
            format!(
                "Incorrect IAM authentication information: signature expired, signature time:{},server time:{} ({}s apart, at most {}s allowed)",
                codearts_auth::signer::format_sdk_date(date).unwrap_or_default(),
                codearts_auth::signer::format_sdk_date(now).unwrap_or_default(),
                skew.as_secs(),
                MAX_CLOCK_SKEW.as_secs()
            ),
        ));
    }
    Ok(())
}

/// Authenticates from the head and then, when the head is not enough, from the body read
/// under the budget: the caller and the body, or the answer to give.
async fn authenticate_request(
    shared: &Shared,
    method: &str,
    path: &str,
    query: &str,
    headers: &[(String, String)],
    body: Body,
) -> Result<(Caller, Bytes), Refusal> {
    match authenticate_head(shared, headers)? {
        HeadAuth::Caller(caller) => {
            let (body, _) = read_body(body, headers, shared.max_body, None).await?;
            Ok((caller, body))
        }
        HeadAuth::Signed => {
            let (body, held) =
                read_body(body, headers, shared.max_body, Some(&shared.budget)).await?;
            let caller =
                authenticate(shared, method, path, query, headers, &body).map_err(|e| {
                    let canonical = (e.code == auth_codes::SIGNATURE_MISMATCH)
                        .then(|| explain_signature(method, path, query, headers, &body))
                        .flatten();
                    Refusal {
                        error: e,
                        canonical,
                    }
                })?;
            // Authenticated: the body no longer counts against the budget.
            drop(held);
            Ok((caller, body))
        }
    }
}

/// Why a request was not authenticated: the answer, and for a signature mismatch the
/// canonical request the emulator computed (for the log, not the answer).
struct Refusal {
    error: ApiError,
    canonical: Option<String>,
}

impl From<ApiError> for Refusal {
    fn from(error: ApiError) -> Self {
        Refusal {
            error,
            canonical: None,
        }
    }
}

/// The canonical request the emulator computes for a signed request, as `verify` does: what a
/// user debugging a signer compares with theirs.
fn explain_signature(
    method: &str,
    path: &str,
    query: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Option<String> {
    let header = |name: &str| headers.iter().find(|(k, _)| k == name).map(|(_, v)| v);
    let auth = codearts_auth::verify::parse_authorization(header("authorization")?)?;
    let mut signed = http::HeaderMap::new();
    for name in &auth.signed_headers {
        let header_name = http::HeaderName::from_bytes(name.as_bytes()).ok()?;
        for (_, v) in headers.iter().filter(|(k, _)| k == name) {
            signed.append(header_name.clone(), HeaderValue::from_str(v).ok()?);
        }
    }
    let target = if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    };
    let uri: http::Uri = target.parse().ok()?;
    let hash = codearts_auth::signer::payload_hash(&signed, body);
    Some(codearts_auth::signer::canonical_request(
        method,
        &uri,
        &signed,
        &auth.signed_headers.join(";"),
        &hash,
    ))
}

/// The newest requests, at most `capacity` of them, and how many there were in all.
#[derive(Debug)]
pub(crate) struct RequestLog {
    pub(crate) entries: std::collections::VecDeque<LogEntry>,
    pub(crate) capacity: usize,
    pub(crate) seen: u64,
}

impl RequestLog {
    pub(crate) fn new(capacity: usize) -> Self {
        RequestLog {
            // Grows as requests come, up to the capacity: a small emulator stays small.
            entries: std::collections::VecDeque::new(),
            capacity,
            seen: 0,
        }
    }

    fn push(&mut self, entry: LogEntry) {
        self.seen += 1;
        if self.capacity == 0 {
            return;
        }
        while self.entries.len() >= self.capacity {
            self.entries.pop_front();
        }
        self.entries.push_back(entry);
    }
}

fn json_response(status: StatusCode, body: Vec<u8>) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

fn error_response(e: &ApiError) -> Response {
    json_response(e.status, e.body())
}

fn unauthorized(code: &str, message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, code, message)
}

/// Who sent the request, or why it is refused.
fn authenticate(
    shared: &Shared,
    method: &str,
    path: &str,
    query: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Result<Caller, ApiError> {
    let has = |name: &str| headers.iter().any(|(k, _)| k == name);
    if !has("authorization") {
        if let Some((_, token)) = headers.iter().find(|(k, _)| k == "x-auth-token") {
            return shared
                .iam
                .caller_for_token(token, shared.clock.now())
                .map_err(token_error);
        }
    }
    let received = ReceivedRequest {
        method,
        path,
        query,
        headers,
        body,
    };
    let verified = verify(&received, |ak| shared.iam.secret_for(ak)).map_err(|e| {
        let code = match &e {
            VerifyError::MissingAuthorization => auth_codes::MISSING_AUTHORIZATION,
            VerifyError::MalformedAuthorization => auth_codes::MALFORMED_AUTHORIZATION,
            VerifyError::UnknownAccessKey(_) => auth_codes::UNKNOWN_ACCESS_KEY,
            VerifyError::MissingDate => auth_codes::MISSING_DATE,
            VerifyError::MalformedDate => auth_codes::MALFORMED_DATE,
            VerifyError::MissingSignedHeader(_) => auth_codes::MISSING_SIGNED_HEADER,
            VerifyError::SignatureMismatch => auth_codes::SIGNATURE_MISMATCH,
            _ => auth_codes::SIGNATURE_MISMATCH,
        };
        let message = match e {
            VerifyError::MissingAuthorization => {
                "the request has neither an Authorization nor an X-Auth-Token header".to_owned()
            }
            other => other.to_string(),
        };
        unauthorized(code, message)
    })?;
    check_skew(shared, verified.date)?;
    shared
        .iam
        .caller_for_key(&verified.access_key)
        .ok_or_else(|| unauthorized(auth_codes::UNKNOWN_ACCESS_KEY, "the access key is unknown"))
}

fn request_id(shared: &Shared) -> String {
    let n = shared
        .started
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!(
        "{:016x}{:016x}",
        crate::state::splitmix(n ^ 0xabcd),
        crate::state::splitmix(n)
    )
}

/// Handles one request.
pub(crate) async fn handle(
    shared: Arc<Shared>,
    kill: Option<KillSwitch>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let method = parts.method.as_str().to_owned();
    let path = parts.uri.path().to_owned();
    let query = parts.uri.query().unwrap_or("").to_owned();
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    // The console is not an API: it is neither authenticated as one nor logged (its own
    // polling would push the API's requests out of the log).
    if path == crate::console::PREFIX || path.starts_with("/_console/") {
        let peer = kill.as_ref().map(KillSwitch::peer);
        return crate::console::handle(&shared, peer, &method, &path, &query, &headers, body).await;
    }
    let id = request_id(&shared);
    let mut entry = LogEntry {
        method: method.clone(),
        path: path.clone(),
        op: None,
        status: 0,
        applied: false,
        fault: None,
        caller: None,
        reason: None,
        canonical_request: None,
    };
    let response = handle_inner(
        &shared, kill, &mut entry, &method, &path, &query, &headers, body,
    )
    .await;
    finish(&shared, entry, response, &id)
}

fn finish(shared: &Shared, mut entry: LogEntry, mut response: Response, id: &str) -> Response {
    entry.status = response.status().as_u16();
    tracing::info!(
        method = %entry.method,
        path = %entry.path,
        op = entry.op.as_deref().unwrap_or("-"),
        status = entry.status,
        applied = entry.applied,
        fault = entry.fault.as_deref().unwrap_or("-"),
        "request"
    );
    if let Ok(mut log) = shared.log.lock() {
        log.push(entry);
    }
    if let Ok(v) = HeaderValue::from_str(id) {
        response.headers_mut().insert("x-request-id", v);
    }
    // The emulator's clock, which tests may set: clients learn clock skew from it.
    if let Ok(v) = HeaderValue::from_str(&httpdate::fmt_http_date(shared.clock.now())) {
        response.headers_mut().insert(http::header::DATE, v);
    }
    response
}

#[allow(clippy::too_many_arguments)]
async fn handle_inner(
    shared: &Arc<Shared>,
    kill: Option<KillSwitch>,
    entry: &mut LogEntry,
    method: &str,
    path: &str,
    query: &str,
    headers: &[(String, String)],
    body: Body,
) -> Response {
    let query_pairs = codearts_transport::encoding::parse_query(query);
    // IAM, on the same listener.
    if path == "/v3/auth/tokens" {
        entry.op = Some("keystone_create_user_token_by_password".to_owned());
        if method != "POST" {
            return error_response(&ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                codes::METHOD_NOT_ALLOWED,
                "only POST is allowed on /v3/auth/tokens",
            ));
        }
        // Nobody is authenticated yet: a small cap, and the shared budget.
        let body = match read_body(body, headers, IAM_BODY_LIMIT, Some(&shared.budget)).await {
            Ok((body, _held)) => body,
            Err(e) => {
                return iam_error(&IamError {
                    status: e.status,
                    message: e.message,
                })
            }
        };
        return match shared.iam.issue(&body, shared.clock.now()) {
            Ok((token, value)) => {
                entry.applied = true;
                let mut r = json_response(
                    StatusCode::CREATED,
                    serde_json::to_vec(&value).unwrap_or_default(),
                );
                if let Ok(v) = HeaderValue::from_str(&token) {
                    r.headers_mut().insert("x-subject-token", v);
                }
                r
            }
            Err(e) => iam_error(&e),
        };
    }
    if path == "/v3/projects" {
        entry.op = Some("keystone_list_projects".to_owned());
        if method != "GET" {
            return error_response(&ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                codes::METHOD_NOT_ALLOWED,
                "only GET is allowed on /v3/projects",
            ));
        }
        return match authenticate_request(shared, method, path, query, headers, body).await {
            Ok((caller, _)) => {
                entry.caller = Some(caller.user_name.clone());
                let host = headers
                    .iter()
                    .find(|(k, _)| k == "host")
                    .map(|(_, v)| format!("http://{v}"))
                    .unwrap_or_default();
                let value = shared.iam.list_projects(&caller, &query_pairs, &host);
                json_response(
                    StatusCode::OK,
                    serde_json::to_vec(&value).unwrap_or_default(),
                )
            }
            Err(Refusal { error: e, .. }) => iam_error(&IamError {
                status: e.status,
                message: format!("{}: {}", e.code, e.message),
            }),
        };
    }

    let matched = match router::find(method, path) {
        Found::Route(m) => m,
        Found::WrongMethod(allowed) => {
            let mut r = error_response(&ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                codes::METHOD_NOT_ALLOWED,
                format!(
                    "{method} is not allowed on {path}; allowed: {}",
                    allowed.join(", ")
                ),
            ));
            if let Ok(v) = HeaderValue::from_str(&allowed.join(", ")) {
                r.headers_mut().insert(http::header::ALLOW, v);
            }
            return r;
        }
        Found::NotFound => {
            return error_response(&ApiError::new(
                StatusCode::NOT_FOUND,
                codes::UNKNOWN_ROUTE,
                format!("no API matches {method} {path}"),
            ))
        }
    };
    entry.op = Some(matched.route.op.to_owned());
    if let Some(other) = router::other_reading(method, path, &matched) {
        return error_response(&ApiError::bad_request(
            codes::INVALID_PARAMETER,
            format!(
                "{path} has an encoded `/` that makes it `{}` here but `{other}` under the \
                 signing rules, which decode it; the request is ambiguous and refused",
                matched.route.op
            ),
        ));
    }
    let (caller, body) =
        match authenticate_request(shared, method, path, query, headers, body).await {
            Ok(c) => c,
            Err(Refusal { error, canonical }) => {
                entry.canonical_request = canonical;
                return refused(entry, &error);
            }
        };
    entry.caller = Some(caller.user_name.clone());
    // Every operation, modelled or not, answers for another account's project as for one
    // that does not exist; the state checks the objects it keeps again.
    let project = matched
        .params
        .iter()
        .chain(query_pairs.iter())
        .find(|(k, _)| k == "project_id")
        .map(|(_, v)| v.as_str());
    if let Some(project_id) = project {
        if !shared
            .state
            .project_belongs_to(project_id, &caller.domain_id)
        {
            return refused(
                entry,
                &ApiError::new(
                    StatusCode::NOT_FOUND,
                    codes::NOT_FOUND,
                    format!("project `{project_id}` does not exist"),
                ),
            );
        }
    }

    let fault = shared.faults.draw(Some(matched.route.op), path);
    if let Some((kind, after)) = fault {
        entry.fault = Some(describe(kind, after));
        if let FaultKind::Latency(d) = kind {
            tokio::time::sleep(d).await;
        } else if !after {
            return fault_response(kind, kill.as_ref(), None);
        }
    }

    let input = Input {
        path_params: matched.params,
        query: query_pairs,
        headers: headers.to_vec(),
        body,
    };
    let session = shared.state.session(caller);
    let op = matched.route.op;
    let call = async {
        match matched.service {
            Service::Pipeline => crate::generated::pipeline::dispatch(&session, op, &input).await,
            Service::Build => crate::generated::build::dispatch(&session, op, &input).await,
        }
    };
    let result = match AssertUnwindSafe(call).catch_unwind().await {
        Ok(r) => r,
        Err(_) => Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            codes::INTERNAL,
            format!("the emulator panicked while performing `{op}` (a bug: please report it)"),
        )),
    };
    let output = match result {
        Ok(o) => o,
        Err(e) => return refused(entry, &e),
    };
    entry.applied = output.applied;
    match fault {
        Some((kind, true)) if !matches!(kind, FaultKind::Latency(_)) => {
            fault_response(kind, kill.as_ref(), Some(&output))
        }
        _ => output_response(output),
    }
}

/// The error answer, with its reason in the request's log entry.
fn refused(entry: &mut LogEntry, e: &ApiError) -> Response {
    entry.reason = Some(format!("{}: {}", e.code, e.message));
    error_response(e)
}

fn iam_error(e: &IamError) -> Response {
    json_response(e.status, e.body())
}

fn describe(kind: FaultKind, after: bool) -> String {
    let k = match kind {
        FaultKind::Latency(d) => format!("latency-{}ms", d.as_millis()),
        FaultKind::Throttle(s) => format!("429-{s}"),
        FaultKind::Status(s) => s.to_string(),
        FaultKind::Reset => "reset".to_owned(),
        FaultKind::Truncate => "truncate".to_owned(),
        FaultKind::Malformed => "malformed".to_owned(),
    };
    if after && !matches!(kind, FaultKind::Truncate | FaultKind::Malformed) {
        format!("{k}-after")
    } else {
        k
    }
}

fn output_response(output: Output) -> Response {
    match output.body {
        OutputBody::Json(bytes) => json_response(StatusCode::OK, bytes),
        OutputBody::Bytes(bytes) => {
            let mut r = Response::new(Body::from(bytes));
            r.headers_mut().insert(
                http::header::CONTENT_TYPE,
                HeaderValue::from_static("application/octet-stream"),
            );
            r
        }
        OutputBody::Empty => Response::new(Body::empty()),
    }
}

fn fault_response(kind: FaultKind, kill: Option<&KillSwitch>, output: Option<&Output>) -> Response {
    let body_bytes = || match output.map(|o| &o.body) {
        Some(OutputBody::Json(b)) => Bytes::from(b.clone()),
        Some(OutputBody::Bytes(b)) => b.clone(),
        _ => Bytes::from_static(b"{\"emulator\":\"an answer that will not arrive whole\"}"),
    };
    match kind {
        FaultKind::Latency(_) => Response::new(Body::empty()),
        FaultKind::Throttle(secs) => {
            let mut r = error_response(&ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                codes::THROTTLED,
                "the request was throttled (injected fault)",
            ));
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                r.headers_mut().insert(http::header::RETRY_AFTER, v);
            }
            r
        }
        FaultKind::Status(status) => error_response(&ApiError::new(
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            codes::INTERNAL,
            format!("injected fault: HTTP {status}"),
        )),
        FaultKind::Reset => {
            if let Some(k) = kill {
                k.kill();
            }
            // The connection dies before this is written.
            let stream = futures_util::stream::once(async {
                Err::<Bytes, std::io::Error>(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "injected reset",
                ))
            });
            Response::new(Body::from_stream(stream))
        }
        FaultKind::Truncate => {
            let full = body_bytes();
            let half = full.slice(..full.len() / 2);
            let len = full.len().max(2);
            let stream = futures_util::stream::iter(vec![
                Ok(half),
                Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "injected truncation",
                )),
            ]);
            let mut r = Response::new(Body::from_stream(stream));
            r.headers_mut().insert(
                http::header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            if let Ok(v) = HeaderValue::from_str(&len.to_string()) {
                r.headers_mut().insert(http::header::CONTENT_LENGTH, v);
            }
            r
        }
        FaultKind::Malformed => json_response(
            StatusCode::OK,
            b"{\"emulator\": \"this is not JSON".to_vec(),
        ),
    }
}

/// The axum handler: every request goes through [`handle`].
pub(crate) async fn axum_handler(
    axum::extract::State(shared): axum::extract::State<Arc<Shared>>,
    request: Request,
) -> Response {
    let kill = request
        .extensions()
        .get::<ConnectInfo<KillSwitch>>()
        .map(|c| c.0.clone());
    if let Some(k) = &kill {
        k.busy();
    }
    let handled = AssertUnwindSafe(handle(shared, kill.clone(), request)).catch_unwind();
    let response = match handled.await {
        Ok(r) => r,
        Err(_) => error_response(&ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            codes::INTERNAL,
            "the emulator panicked (a bug: please report it)",
        )),
    };
    if let Some(k) = &kill {
        k.idle();
    }
    response
}
