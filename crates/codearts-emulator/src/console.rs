//! The web console at `/_console`: server-rendered pages over the emulator's state.
//!
//! Who may open it: loopback clients, unless a console password is set; then anyone who gives
//! it with HTTP Basic authentication (any user name), loopback clients included. The console
//! acts as a user of an account that the visitor picks, through the same [`Session`] the API
//! uses, so it sees and may do exactly what that user could through the API. Every form
//! carries a token drawn once per process (CSRF), and every value rendered is escaped.

use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::body::Body;
use axum::response::Response;
use codearts_build::stub::Build as _;
use codearts_model::build as b;
use codearts_model::pipeline as p;
use codearts_pipeline::stub::Pipeline as _;
use codearts_transport::RequestOptions;
use http::{HeaderValue, StatusCode};
use ring::hmac;
use secrecy::{ExposeSecret, SecretString};

use crate::fixture::{Account, User};
use crate::server::Shared;
use crate::state::{Caller, Session};

/// The console's path prefix.
pub const PREFIX: &str = "/_console";

/// The largest form the console reads.
const FORM_LIMIT: usize = 16 << 10;

/// The role names shown in the permission matrix.
fn role_name(role: i64) -> String {
    match role {
        3 => "project manager (3)".to_owned(),
        7 => "participant (7)".to_owned(),
        8 => "viewer (8)".to_owned(),
        other => format!("role {other}"),
    }
}

/// The console's secrets: its password, if any, and the forms' token.
pub(crate) struct Console {
    password: Option<SecretString>,
    /// Per-process key: passwords and tokens are compared as HMACs under it, in constant time
    /// whatever their lengths.
    key: hmac::Key,
    csrf: String,
    accounts: Vec<Account>,
}

impl std::fmt::Debug for Console {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Console")
            .field("password", &self.password.as_ref().map(|_| "[REDACTED]"))
            .finish_non_exhaustive()
    }
}

fn random_bytes<const N: usize>() -> [u8; N] {
    use ring::rand::SecureRandom;
    let mut out = [0u8; N];
    // The system's generator failing leaves zeros: the token is then guessable, which only
    // weakens CSRF protection of a local tool; it is logged.
    if ring::rand::SystemRandom::new().fill(&mut out).is_err() {
        tracing::error!("no random bytes for the console's token");
    }
    out
}

impl Console {
    pub(crate) fn new(password: Option<SecretString>, accounts: Vec<Account>) -> Self {
        let key = hmac::Key::new(hmac::HMAC_SHA256, &random_bytes::<32>());
        let csrf = random_bytes::<16>().iter().fold(String::new(), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        });
        Console {
            password,
            key,
            csrf,
            accounts,
        }
    }

    /// Constant-time equality of two secrets.
    fn same(&self, given: &str, expected: &str) -> bool {
        let tag = hmac::sign(&self.key, expected.as_bytes());
        hmac::verify(&self.key, given.as_bytes(), tag.as_ref()).is_ok()
    }

    fn user(&self, user_id: &str) -> Option<(&Account, &User)> {
        self.accounts
            .iter()
            .find_map(|a| a.users.iter().find(|u| u.id == user_id).map(|u| (a, u)))
    }
}

/// Whether a client may open the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// It may.
    Allowed,
    /// A password is set and the client did not give it: 401 with a Basic challenge.
    NeedsPassword,
    /// No password is set and the client is not on a loopback address: 403.
    NotLoopback,
}

/// Decodes standard base64 (with or without padding); `None` for anything else.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for c in text.trim_end_matches('=').bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// The password of an `Authorization: Basic …` header (the user name is ignored).
fn basic_password(authorization: &str) -> Option<String> {
    let (scheme, value) = authorization.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(base64_decode(value.trim())?).ok()?;
    decoded.split_once(':').map(|(_, pw)| pw.to_owned())
}

/// Who may open the console: with a password set, whoever gives it (compared in constant
/// time by `same`); without one, loopback clients only. An unknown peer counts as remote.
pub fn check_access(
    peer: Option<IpAddr>,
    authorization: Option<&str>,
    password: Option<&str>,
    same: impl Fn(&str, &str) -> bool,
) -> Access {
    match password {
        Some(expected) => match authorization.and_then(basic_password) {
            Some(given) if same(&given, expected) => Access::Allowed,
            _ => Access::NeedsPassword,
        },
        None => {
            let loopback = peer.is_some_and(|ip| match ip {
                IpAddr::V4(v4) => v4.is_loopback(),
                IpAddr::V6(v6) => {
                    v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
                }
            });
            if loopback {
                Access::Allowed
            } else {
                Access::NotLoopback
            }
        }
    }
}

/// Escapes text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A query-string component.
fn q(text: &str) -> String {
    codearts_transport::encoding::encode(text).into_owned()
}

const CSS: &str = "body{font-family:sans-serif;margin:1.5em;max-width:70em}\
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.25em .5em;text-align:left}\
.COMPLETED,.SUCCESS{color:#060}.FAILED,.ABORTED{color:#a00}.RUNNING{color:#06a}.PENDING{color:#a60}.CANCELED{color:#666}\
nav a{margin-right:1em}pre{background:#f4f4f4;padding:.5em;white-space:pre-wrap}.error{color:#a00}\
textarea{width:30em;height:4em}";

/// Replaces every `[data-live]` element's content with its URL's answer, every 1.5 s.
const JS: &str = "setInterval(function(){document.querySelectorAll('[data-live]').forEach(function(el){\
fetch(el.getAttribute('data-live'),{credentials:'same-origin'}).then(function(r){return r.ok?r.text():null})\
.then(function(t){if(t!==null&&t!==el.innerHTML){el.innerHTML=t;}}).catch(function(){});});},1500);";

fn with_headers(mut r: Response, content_type: &'static str) -> Response {
    let h = r.headers_mut();
    h.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static(content_type),
    );
    h.insert(
        http::header::CACHE_CONTROL,
        HeaderValue::from_static("no-store"),
    );
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert(
        "content-security-policy",
        HeaderValue::from_static("default-src 'self'; frame-ancestors 'none'"),
    );
    r
}

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{t} · CodeArts emulator</title>\
         <link rel=\"stylesheet\" href=\"{PREFIX}/console.css\"><script src=\"{PREFIX}/console.js\" defer></script></head>\
         <body><nav><a href=\"{PREFIX}\">Accounts</a><a href=\"{PREFIX}/log\">Request log</a></nav><h1>{t}</h1>{body}</body></html>",
        t = escape(title)
    );
    let mut r = Response::new(Body::from(html));
    *r.status_mut() = status;
    with_headers(r, "text/html; charset=utf-8")
}

fn fragment(html: String) -> Response {
    with_headers(Response::new(Body::from(html)), "text/html; charset=utf-8")
}

fn error_page(status: StatusCode, message: &str) -> Response {
    page(
        status,
        "Refused",
        &format!("<p class=\"error\" id=\"error\">{}</p>", escape(message)),
    )
}

fn redirect(to: &str) -> Response {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = StatusCode::SEE_OTHER;
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(http::header::LOCATION, v);
    }
    r
}

fn status_cell(status: &str) -> String {
    format!(
        "<span class=\"{0}\" data-status=\"{0}\">{0}</span>",
        escape(status)
    )
}

/// Serves a console request: `peer` is the client's address.
pub(crate) async fn handle(
    shared: &Arc<Shared>,
    peer: Option<SocketAddr>,
    method: &str,
    path: &str,
    query: &str,
    headers: &[(String, String)],
    body: Body,
) -> Response {
    let console = &shared.console;
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    match check_access(
        peer.map(|p| p.ip()),
        header("authorization"),
        console.password.as_ref().map(|p| p.expose_secret()),
        |a, b| console.same(a, b),
    ) {
        Access::Allowed => {}
        Access::NeedsPassword => {
            let mut r = error_page(StatusCode::UNAUTHORIZED, "the console needs its password");
            r.headers_mut().insert(
                http::header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"codearts-emulator console\""),
            );
            return r;
        }
        Access::NotLoopback => {
            return error_page(
                StatusCode::FORBIDDEN,
                "the console serves loopback clients only; start the emulator with \
                 --console-password to open it to others",
            )
        }
    }
    let params = codearts_transport::encoding::parse_query(query);
    let get = |name: &str| -> String {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let sub = path.strip_prefix(PREFIX).unwrap_or("");
    match (method, sub) {
        ("GET", "/console.css") => with_headers(Response::new(Body::from(CSS)), "text/css"),
        ("GET", "/console.js") => with_headers(
            Response::new(Body::from(JS)),
            "text/javascript; charset=utf-8",
        ),
        ("GET", "" | "/") => accounts_page(console),
        ("GET", "/log") => log_page(shared, get("fragment") == "1"),
        ("GET", "/home" | "/pipeline" | "/run" | "/job") => {
            let Some(session) = session_for(shared, &get("as")) else {
                return error_page(StatusCode::NOT_FOUND, "no such user; pick one first");
            };
            let as_user = get("as");
            match sub {
                "/home" => home_page(console, &session, &as_user).await,
                "/pipeline" => {
                    pipeline_page(
                        &session,
                        &as_user,
                        &get("project"),
                        &get("pipeline"),
                        get("fragment") == "1",
                    )
                    .await
                }
                "/run" => run_page(
                    console,
                    &session,
                    &as_user,
                    &get("project"),
                    &get("pipeline"),
                    &get("run"),
                    get("fragment") == "1",
                ),
                _ => job_page(console, &session, &as_user, &get("job")).await,
            }
        }
        ("POST", "/review" | "/permission") => {
            let form = match read_form(body).await {
                Ok(f) => f,
                Err(e) => return error_page(StatusCode::BAD_REQUEST, &e),
            };
            let field = |name: &str| -> String {
                form.iter()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default()
            };
            if !console.same(&field("csrf"), &console.csrf) {
                return error_page(
                    StatusCode::FORBIDDEN,
                    "the form's token is missing or stale; reload the page",
                );
            }
            let Some(session) = session_for(shared, &field("as")) else {
                return error_page(StatusCode::NOT_FOUND, "no such user; pick one first");
            };
            if sub == "/review" {
                review(&session, &field).await
            } else {
                permission(&session, &field).await
            }
        }
        _ => error_page(StatusCode::NOT_FOUND, "no such console page"),
    }
}

async fn read_form(body: Body) -> Result<Vec<(String, String)>, String> {
    let bytes = axum::body::to_bytes(body, FORM_LIMIT)
        .await
        .map_err(|_| format!("the form is larger than {FORM_LIMIT} bytes"))?;
    let text = std::str::from_utf8(&bytes).map_err(|_| "the form is not UTF-8".to_owned())?;
    // Forms encode spaces as `+`.
    Ok(codearts_transport::encoding::parse_query(
        &text.replace('+', "%20"),
    ))
}

/// The session of the user `user_id`, as the API would make it for that user's keys.
fn session_for(shared: &Shared, user_id: &str) -> Option<Session> {
    let (account, user) = shared.console.user(user_id)?;
    Some(shared.state.session(Caller {
        user_id: user.id.clone(),
        user_name: user.name.clone(),
        domain_id: account.domain_id.clone(),
        role_id: user.role_id.unwrap_or(3),
    }))
}

fn accounts_page(console: &Console) -> Response {
    let mut body = String::from("<p>Pick an account and the user to act as: the console then sees and does what that user may through the API.</p><ul>");
    for account in &console.accounts {
        let _ = write!(
            body,
            "<li>{} <code>{}</code><ul>",
            escape(&account.domain_name),
            escape(&account.domain_id)
        );
        for user in &account.users {
            let _ = write!(
                body,
                "<li><a href=\"{PREFIX}/home?as={}\" data-user=\"{}\">{}</a> (role {})</li>",
                q(&user.id),
                escape(&user.name),
                escape(&user.name),
                user.role_id.unwrap_or(3)
            );
        }
        body.push_str("</ul></li>");
    }
    body.push_str("</ul>");
    page(StatusCode::OK, "Accounts", &body)
}

async fn home_page(console: &Console, session: &Session, as_user: &str) -> Response {
    let Some((account, user)) = console.user(as_user) else {
        return error_page(StatusCode::NOT_FOUND, "no such user");
    };
    let mut body = format!(
        "<p>Acting as <b>{}</b> of account <b>{}</b>.</p>",
        escape(&user.name),
        escape(&account.domain_name)
    );
    for project in &account.projects {
        let _ = write!(
            body,
            "<h2>Project {} <code>{}</code></h2><h3>Pipelines</h3>",
            escape(&project.name),
            escape(&project.id)
        );
        match session
            .list_pipelines(
                p::ListPipelinesRequest::new(&project.id)
                    .set_body(p::ListPipelineQuery::default().set_limit(100)),
                RequestOptions::default(),
            )
            .await
        {
            Ok(list) => {
                body.push_str("<table><tr><th>Name</th><th>Id</th><th>Latest run</th></tr>");
                for pl in list.pipelines.unwrap_or_default() {
                    let id = pl.pipeline_id.unwrap_or_default();
                    let latest = pl
                        .latest_run
                        .and_then(|r| r.status)
                        .map(|s| status_cell(&s))
                        .unwrap_or_else(|| "—".to_owned());
                    let _ = write!(
                        body,
                        "<tr><td><a href=\"{PREFIX}/pipeline?as={}&amp;project={}&amp;pipeline={}\">{}</a></td><td><code>{}</code></td><td>{latest}</td></tr>",
                        q(as_user),
                        q(&project.id),
                        q(&id),
                        escape(&pl.name.unwrap_or_default()),
                        escape(&id)
                    );
                }
                body.push_str("</table>");
            }
            Err(e) => {
                let _ = write!(body, "<p class=\"error\">{}</p>", escape(&e.to_string()));
            }
        }
        body.push_str("<h3>Build jobs</h3>");
        match session
            .list_project_jobs(
                b::ListProjectJobsRequest::new(&project.id, 0, 100),
                RequestOptions::default(),
            )
            .await
        {
            Ok(list) => {
                body.push_str("<table><tr><th>Name</th><th>Id</th><th>Last build</th></tr>");
                for job in list.jobs.unwrap_or_default() {
                    let id = job.id.unwrap_or_default();
                    let last = job
                        .last_build_status
                        .map(|s| status_cell(&s))
                        .unwrap_or_else(|| "—".to_owned());
                    let _ = write!(
                        body,
                        "<tr><td><a href=\"{PREFIX}/job?as={}&amp;job={}\">{}</a></td><td><code>{}</code></td><td>{last}</td></tr>",
                        q(as_user),
                        q(&id),
                        escape(&job.job_name.unwrap_or_default()),
                        escape(&id)
                    );
                }
                body.push_str("</table>");
            }
            Err(e) => {
                let _ = write!(body, "<p class=\"error\">{}</p>", escape(&e.to_string()));
            }
        }
    }
    page(StatusCode::OK, "Projects", &body)
}

async fn pipeline_page(
    session: &Session,
    as_user: &str,
    project: &str,
    pipeline: &str,
    only_fragment: bool,
) -> Response {
    let runs = match session.runs_of(project, pipeline) {
        Ok(r) => r,
        Err(e) => return error_page(StatusCode::NOT_FOUND, &e.to_string()),
    };
    let mut live = String::from("<table><tr><th>Run</th><th>Status</th><th></th></tr>");
    for run in &runs {
        let _ = write!(
            live,
            "<tr><td><a href=\"{PREFIX}/run?as={}&amp;project={}&amp;pipeline={}&amp;run={}\" data-run=\"{}\">#{}</a></td><td>{}</td><td>{}</td></tr>",
            q(as_user),
            q(project),
            q(pipeline),
            q(&run.id),
            escape(&run.id),
            run.number,
            status_cell(run.status),
            if run.awaiting_review { "waiting for a manual review" } else { "" }
        );
    }
    live.push_str("</table>");
    if only_fragment {
        return fragment(live);
    }
    let name = session
        .show_pipeline_detail(
            p::ShowPipelineDetailRequest::new(project, pipeline),
            RequestOptions::default(),
        )
        .await
        .ok()
        .and_then(|d| d.name)
        .unwrap_or_default();
    let body = format!(
        "<p><a href=\"{PREFIX}/home?as={a}\">Back to the projects</a></p><p>Pipeline <code>{id}</code>; runs, newest first (live):</p>\
         <div id=\"live\" data-live=\"{PREFIX}/pipeline?as={a}&amp;project={pr}&amp;pipeline={pl}&amp;fragment=1\">{live}</div>",
        a = q(as_user),
        pr = q(project),
        pl = q(pipeline),
        id = escape(pipeline),
    );
    page(StatusCode::OK, &format!("Pipeline {name}"), &body)
}

fn run_live(detail: &p::ShowPipelineRunDetailResponse) -> String {
    let mut live = format!(
        "<p>Run #{} is {}</p><table><tr><th>Stage</th><th>Job</th><th>Step</th><th>Status</th><th>Message</th></tr>",
        detail.run_number.unwrap_or(0),
        status_cell(detail.status.as_deref().unwrap_or(""))
    );
    for stage in detail.stages.iter().flatten() {
        let _ = write!(
            live,
            "<tr><td>{}</td><td></td><td></td><td>{}</td><td></td></tr>",
            escape(stage.name.as_deref().unwrap_or("")),
            status_cell(stage.status.as_deref().unwrap_or(""))
        );
        for job in stage.jobs.iter().flatten() {
            let _ = write!(
                live,
                "<tr><td></td><td>{}</td><td></td><td>{}</td><td></td></tr>",
                escape(job.name.as_deref().unwrap_or("")),
                status_cell(job.status.as_deref().unwrap_or(""))
            );
            for step in job.steps.iter().flatten() {
                let _ = write!(
                    live,
                    "<tr><td></td><td></td><td>{}</td><td>{}</td><td class=\"message\">{}</td></tr>",
                    escape(step.name.as_deref().unwrap_or("")),
                    status_cell(step.status.as_deref().unwrap_or("")),
                    escape(step.message.as_deref().unwrap_or(""))
                );
            }
        }
    }
    live.push_str("</table>");
    live
}

fn run_page(
    console: &Console,
    session: &Session,
    as_user: &str,
    project: &str,
    pipeline: &str,
    run: &str,
    only_fragment: bool,
) -> Response {
    let detail = match session.run_view(project, pipeline, run) {
        Ok(d) => d,
        Err(e) => return error_page(StatusCode::NOT_FOUND, &e.to_string()),
    };
    let live = run_live(&detail);
    if only_fragment {
        return fragment(live);
    }
    let mut body = format!(
        "<p><a href=\"{PREFIX}/pipeline?as={a}&amp;project={pr}&amp;pipeline={pl}\">Back to the pipeline</a></p>\
         <div id=\"live\" data-live=\"{PREFIX}/run?as={a}&amp;project={pr}&amp;pipeline={pl}&amp;run={r}&amp;fragment=1\">{live}</div>",
        a = q(as_user),
        pr = q(project),
        pl = q(pipeline),
        r = q(run),
    );
    // The review form is outside the live part, so that a refresh does not wipe the opinion
    // being typed.
    for stage in detail.stages.iter().flatten() {
        for job in stage.jobs.iter().flatten() {
            for step in job.steps.iter().flatten() {
                let waiting = step.status.as_deref() == Some(crate::state::status::PENDING)
                    && step
                        .task
                        .as_deref()
                        .is_some_and(crate::state::wants_manual_review);
                if !waiting {
                    continue;
                }
                let _ = write!(
                    body,
                    "<h2>Manual review: {step_name}</h2><form method=\"post\" action=\"{PREFIX}/review\" id=\"review\">\
                     <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
                     <input type=\"hidden\" name=\"as\" value=\"{a}\">\
                     <input type=\"hidden\" name=\"project\" value=\"{pr}\">\
                     <input type=\"hidden\" name=\"pipeline\" value=\"{pl}\">\
                     <input type=\"hidden\" name=\"run\" value=\"{r}\">\
                     <input type=\"hidden\" name=\"job_run\" value=\"{jr}\">\
                     <input type=\"hidden\" name=\"step_run\" value=\"{sr}\">\
                     <p><label>Opinion<br><textarea name=\"opinion\" id=\"opinion\"></textarea></label></p>\
                     <button type=\"submit\" name=\"decision\" value=\"pass\" id=\"pass\">Pass</button> \
                     <button type=\"submit\" name=\"decision\" value=\"reject\" id=\"reject\">Reject</button></form>",
                    step_name = escape(step.name.as_deref().unwrap_or("")),
                    csrf = escape(&console.csrf),
                    a = escape(as_user),
                    pr = escape(project),
                    pl = escape(pipeline),
                    r = escape(run),
                    jr = escape(job.id.as_deref().unwrap_or("")),
                    sr = escape(step.id.as_deref().unwrap_or("")),
                );
            }
        }
    }
    page(
        StatusCode::OK,
        &format!("Run #{}", detail.run_number.unwrap_or(0)),
        &body,
    )
}

async fn review(session: &Session, field: &(dyn Fn(&str) -> String + Sync)) -> Response {
    let (project, pipeline, run) = (field("project"), field("pipeline"), field("run"));
    let opinion = Some(field("opinion")).filter(|o| !o.trim().is_empty());
    let result = match field("decision").as_str() {
        "pass" => {
            let mut request = p::AcceptManualReviewRequest::new(
                &project,
                &pipeline,
                &run,
                field("job_run"),
                field("step_run"),
            );
            request.approval_description = opinion;
            session
                .accept_manual_review(request, RequestOptions::default())
                .await
                .map(|_| ())
        }
        "reject" => {
            let mut request = p::RejectManualReviewRequest::new(
                &project,
                &pipeline,
                &run,
                field("job_run"),
                field("step_run"),
            );
            request.approval_description = opinion;
            session
                .reject_manual_review(request, RequestOptions::default())
                .await
                .map(|_| ())
        }
        other => {
            return error_page(
                StatusCode::BAD_REQUEST,
                &format!("the decision `{other}` is neither pass nor reject"),
            )
        }
    };
    match result {
        Ok(()) => redirect(&format!(
            "{PREFIX}/run?as={}&project={}&pipeline={}&run={}",
            q(&field("as")),
            q(&project),
            q(&pipeline),
            q(&run)
        )),
        Err(e) => error_page(StatusCode::BAD_REQUEST, &e.to_string()),
    }
}

const FLAGS: [(&str, &str); 7] = [
    ("is_view", "view"),
    ("is_execute", "execute"),
    ("is_copy", "copy"),
    ("is_modify", "modify"),
    ("is_delete", "delete"),
    ("is_manager", "manage"),
    ("is_forbidden", "forbidden"),
];

async fn job_page(console: &Console, session: &Session, as_user: &str, job: &str) -> Response {
    let info = match session
        .show_job_info(b::ShowJobInfoRequest::new(job), RequestOptions::default())
        .await
    {
        Ok(i) => i.result.unwrap_or_default(),
        Err(e) => return error_page(StatusCode::NOT_FOUND, &e.to_string()),
    };
    let roles = match session
        .show_job_role_permission(
            b::ShowJobRolePermissionRequest::new(job),
            RequestOptions::default(),
        )
        .await
    {
        Ok(r) => r.result.unwrap_or_default(),
        Err(e) => return error_page(StatusCode::FORBIDDEN, &e.to_string()),
    };
    let mut body = format!(
        "<p><a href=\"{PREFIX}/home?as={}\">Back to the projects</a></p><p>Build job <code>{}</code>. Permissions per role (a change takes effect at once, for the API too):</p><table><tr><th>Role</th>",
        q(as_user),
        escape(job)
    );
    for (_, label) in FLAGS {
        let _ = write!(body, "<th>{label}</th>");
    }
    body.push_str("<th></th></tr>");
    for role in roles {
        let role_id = role.role_id.unwrap_or_default();
        let value = |flag: &str| match flag {
            "is_view" => role.is_view,
            "is_execute" => role.is_execute,
            "is_copy" => role.is_copy,
            "is_modify" => role.is_modify,
            "is_delete" => role.is_delete,
            "is_manager" => role.is_manager,
            _ => role.is_forbidden,
        };
        let form = format!("perm-{role_id}");
        let _ = write!(body, "<tr><td>{}</td>", escape(&role_name(role_id)));
        for (flag, _) in FLAGS {
            let _ = write!(
                body,
                "<td><input type=\"checkbox\" form=\"{form}\" name=\"{flag}\" id=\"{form}-{flag}\" value=\"1\"{}></td>",
                if value(flag).unwrap_or(false) { " checked" } else { "" }
            );
        }
        let _ = write!(
            body,
            "<td><form method=\"post\" action=\"{PREFIX}/permission\" id=\"{form}\">\
             <input type=\"hidden\" name=\"csrf\" value=\"{}\"><input type=\"hidden\" name=\"as\" value=\"{}\">\
             <input type=\"hidden\" name=\"job\" value=\"{}\"><input type=\"hidden\" name=\"role\" value=\"{role_id}\">\
             <button type=\"submit\" id=\"{form}-save\">Save</button></form></td></tr>",
            escape(&console.csrf),
            escape(as_user),
            escape(job)
        );
    }
    body.push_str("</table>");
    page(
        StatusCode::OK,
        &format!("Build job {}", info.job_name.unwrap_or_default()),
        &body,
    )
}

async fn permission(session: &Session, field: &(dyn Fn(&str) -> String + Sync)) -> Response {
    let job = field("job");
    let Ok(role) = field("role").parse::<i64>() else {
        return error_page(StatusCode::BAD_REQUEST, "the role is not a number");
    };
    // A checkbox left unticked is absent from the form: absent means false.
    let on = |flag: &str| Some(!field(flag).is_empty());
    let mut perm = b::JobRolePermission::default();
    perm.role_id = Some(role);
    perm.is_view = on("is_view");
    perm.is_execute = on("is_execute");
    perm.is_copy = on("is_copy");
    perm.is_modify = on("is_modify");
    perm.is_delete = on("is_delete");
    perm.is_manager = on("is_manager");
    perm.is_forbidden = on("is_forbidden");
    let mut body = b::RolePermissionsRequestBody::default();
    body.job_ids = Some(vec![job.clone()]);
    body.permissions = Some(vec![perm]);
    match session
        .batch_update_job_role_permission(
            b::BatchUpdateJobRolePermissionRequest::new().set_body(body),
            RequestOptions::default(),
        )
        .await
    {
        Ok(_) => redirect(&format!(
            "{PREFIX}/job?as={}&job={}",
            q(&field("as")),
            q(&job)
        )),
        Err(e) => error_page(StatusCode::FORBIDDEN, &e.to_string()),
    }
}

fn log_page(shared: &Shared, only_fragment: bool) -> Response {
    let entries: Vec<crate::LogEntry> = shared
        .log
        .lock()
        .map(|l| l.entries.iter().rev().take(200).cloned().collect())
        .unwrap_or_default();
    let mut live = String::from(
        "<table><tr><th>Method</th><th>Path</th><th>Operation</th><th>Caller</th><th>Status</th><th>Refusal</th></tr>",
    );
    for e in &entries {
        let mut reason = escape(e.reason.as_deref().unwrap_or(""));
        if let Some(canonical) = &e.canonical_request {
            let _ = write!(
                reason,
                "<details><summary>canonical request the emulator computed</summary><pre>{}</pre></details>",
                escape(canonical)
            );
        }
        let _ = write!(
            live,
            "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{reason}</td></tr>",
            escape(&e.method),
            escape(&e.path),
            escape(e.op.as_deref().unwrap_or("")),
            escape(e.caller.as_deref().unwrap_or("")),
            e.status,
        );
    }
    live.push_str("</table>");
    if only_fragment {
        return fragment(live);
    }
    page(
        StatusCode::OK,
        "Request log",
        &format!(
            "<p>The newest 200 requests, newest first (live). A signature mismatch shows the canonical request the emulator computed: compare it with your signer's.</p>\
             <div id=\"live\" data-live=\"{PREFIX}/log?fragment=1\">{live}</div>"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(a: &str, b: &str) -> bool {
        a == b
    }

    #[test]
    fn without_a_password_only_loopback_clients_may_open_it() {
        let allowed = |ip: &str| check_access(Some(ip.parse().unwrap()), None, None, plain);
        assert_eq!(allowed("127.0.0.1"), Access::Allowed);
        assert_eq!(allowed("127.8.9.10"), Access::Allowed);
        assert_eq!(allowed("::1"), Access::Allowed);
        assert_eq!(allowed("::ffff:127.0.0.1"), Access::Allowed);
        assert_eq!(allowed("192.0.2.7"), Access::NotLoopback);
        assert_eq!(allowed("10.0.0.1"), Access::NotLoopback);
        assert_eq!(allowed("::ffff:192.0.2.7"), Access::NotLoopback);
        assert_eq!(allowed("fd00::2"), Access::NotLoopback);
        assert_eq!(check_access(None, None, None, plain), Access::NotLoopback);
        // An Authorization header means nothing without a password.
        assert_eq!(
            check_access(
                Some("192.0.2.7".parse().unwrap()),
                Some("Basic dTpzZWNyZXQ="),
                None,
                plain
            ),
            Access::NotLoopback
        );
    }

    #[test]
    fn with_a_password_everyone_must_give_it() {
        // "u:secret" and "u:wrong".
        let (good, bad) = ("Basic dTpzZWNyZXQ=", "Basic dTp3cm9uZw==");
        for ip in ["192.0.2.7", "127.0.0.1"] {
            let peer = Some(ip.parse().unwrap());
            assert_eq!(
                check_access(peer, Some(good), Some("secret"), plain),
                Access::Allowed
            );
            assert_eq!(
                check_access(peer, Some(bad), Some("secret"), plain),
                Access::NeedsPassword
            );
            assert_eq!(
                check_access(peer, None, Some("secret"), plain),
                Access::NeedsPassword
            );
            assert_eq!(
                check_access(peer, Some("Bearer dTpzZWNyZXQ="), Some("secret"), plain),
                Access::NeedsPassword
            );
            assert_eq!(
                check_access(peer, Some("Basic !!!"), Some("secret"), plain),
                Access::NeedsPassword
            );
        }
    }

    #[test]
    fn the_console_compares_secrets_by_value() {
        let console = Console::new(Some(SecretString::from("secret")), Vec::new());
        assert!(console.same("secret", "secret"));
        assert!(!console.same("secret2", "secret"));
        assert!(!console.same("", "secret"));
        assert!(!format!("{console:?}").contains("secret"));
        assert_eq!(console.csrf.len(), 32);
    }

    #[test]
    fn base64_and_escaping() {
        assert_eq!(base64_decode("dTpzZWNyZXQ=").unwrap(), b"u:secret");
        assert_eq!(base64_decode("YQ").unwrap(), b"a");
        assert_eq!(basic_password("Basic OnA6cQ==").as_deref(), Some("p:q"));
        assert_eq!(
            escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
