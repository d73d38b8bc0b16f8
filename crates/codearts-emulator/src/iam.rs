//! The emulated IAM: accounts, AK/SK pairs, password tokens and the project list.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::StatusCode;
use serde_json::{json, Value};
use time::OffsetDateTime;

use crate::fixture::{Fixture, Project};
use crate::state::Caller;

/// The default lifetime of an issued token: 24 hours.
pub const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 3600);

#[derive(Debug, Clone)]
struct UserRecord {
    caller: Caller,
    name: String,
    password: String,
    domain_name: String,
}

#[derive(Debug, Clone)]
struct TokenRecord {
    user: usize,
    expires_at: SystemTime,
}

/// Why a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenError {
    Unknown,
    Expired,
}

/// An error answer in IAM's shape.
#[derive(Debug, Clone)]
pub(crate) struct IamError {
    pub(crate) status: StatusCode,
    pub(crate) message: String,
}

impl IamError {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        IamError {
            status,
            message: message.into(),
        }
    }

    /// `{"error": {"code": 401, "message": "...", "title": "Unauthorized"}}`.
    pub(crate) fn body(&self) -> Vec<u8> {
        serde_json::to_vec(&json!({
            "error": {
                "code": self.status.as_u16(),
                "message": self.message,
                "title": self.status.canonical_reason().unwrap_or("Error"),
            }
        }))
        .unwrap_or_default()
    }
}

/// Accounts and issued tokens.
#[derive(Debug)]
pub(crate) struct Iam {
    users: Vec<UserRecord>,
    keys: HashMap<String, (String, usize)>,
    projects: Vec<(String, Project)>,
    tokens: Mutex<HashMap<String, TokenRecord>>,
    lifetime: Duration,
    rng: ring::rand::SystemRandom,
}

/// Random bytes in a token: 256 bits, so that knowing any number of tokens says nothing about
/// another one.
const TOKEN_RANDOM_BYTES: usize = 32;

/// Why no token could be made.
fn rng_failure() -> IamError {
    IamError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "the system random number generator failed",
    )
}

/// An RFC 3339 time with microseconds, as IAM writes it.
pub(crate) fn iam_time(t: SystemTime) -> String {
    let nanos = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let dt = OffsetDateTime::from_unix_timestamp_nanos(i128::try_from(nanos).unwrap_or(0))
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        dt.year(),
        u8::from(dt.month()),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second(),
        dt.microsecond()
    )
}

impl Iam {
    pub(crate) fn new(fixture: &Fixture) -> Self {
        let mut users = Vec::new();
        let mut keys = HashMap::new();
        let mut projects = Vec::new();
        for account in &fixture.accounts {
            for project in &account.projects {
                projects.push((account.domain_id.clone(), project.clone()));
            }
            for user in &account.users {
                let index = users.len();
                for key in &user.access_keys {
                    keys.insert(key.access_key.clone(), (key.secret_key.clone(), index));
                }
                users.push(UserRecord {
                    caller: Caller {
                        user_id: user.id.clone(),
                        user_name: user.name.clone(),
                        domain_id: account.domain_id.clone(),
                        role_id: user.role_id.unwrap_or(3),
                    },
                    name: user.name.clone(),
                    password: user.password.clone(),
                    domain_name: account.domain_name.clone(),
                });
            }
        }
        Iam {
            users,
            keys,
            projects,
            tokens: Mutex::new(HashMap::new()),
            lifetime: fixture
                .token_lifetime_secs
                .map(Duration::from_secs)
                .unwrap_or(DEFAULT_TOKEN_LIFETIME),
            rng: ring::rand::SystemRandom::new(),
        }
    }

    pub(crate) fn with_lifetime(mut self, lifetime: Option<Duration>) -> Self {
        if let Some(l) = lifetime {
            self.lifetime = l;
        }
        self
    }

    /// The secret key and caller of an access key.
    pub(crate) fn secret_for(&self, ak: &str) -> Option<String> {
        self.keys.get(ak).map(|(sk, _)| sk.clone())
    }

    /// The caller an access key belongs to.
    pub(crate) fn caller_for_key(&self, ak: &str) -> Option<Caller> {
        self.keys
            .get(ak)
            .map(|(_, u)| self.users[*u].caller.clone())
    }

    /// The caller of a token, if it was issued here and has not expired.
    pub(crate) fn caller_for_token(
        &self,
        token: &str,
        now: SystemTime,
    ) -> Result<Caller, TokenError> {
        let tokens = self.tokens.lock().unwrap_or_else(|e| e.into_inner());
        let record = tokens.get(token).ok_or(TokenError::Unknown)?;
        if now >= record.expires_at {
            return Err(TokenError::Expired);
        }
        Ok(self.users[record.user].caller.clone())
    }

    /// `POST /v3/auth/tokens`: the token and the body of a 201 answer.
    pub(crate) fn issue(&self, body: &[u8], now: SystemTime) -> Result<(String, Value), IamError> {
        let bad = |m: &str| IamError::new(StatusCode::BAD_REQUEST, m);
        let request: Value = serde_json::from_slice(body)
            .map_err(|e| bad(&format!("the request body is not JSON: {e}")))?;
        let auth = &request["auth"];
        let methods = auth["identity"]["methods"].as_array();
        if !methods.is_some_and(|m| m.iter().any(|v| v == "password")) {
            return Err(bad("auth.identity.methods must contain \"password\""));
        }
        let user = &auth["identity"]["password"]["user"];
        let (Some(name), Some(password)) = (user["name"].as_str(), user["password"].as_str())
        else {
            return Err(bad("auth.identity.password.user needs name and password"));
        };
        let domain_name = user["domain"]["name"].as_str();
        let domain_id = user["domain"]["id"].as_str();
        let unauthorized = || {
            IamError::new(
                StatusCode::UNAUTHORIZED,
                "The username or password is wrong.",
            )
        };
        let index = self
            .users
            .iter()
            .position(|u| {
                u.name == name
                    && domain_name.is_none_or(|d| d == u.domain_name)
                    && domain_id.is_none_or(|d| d == u.caller.domain_id)
                    && (domain_name.is_some() || domain_id.is_some())
            })
            .ok_or_else(unauthorized)?;
        let record = &self.users[index];
        if record.password != password {
            return Err(unauthorized());
        }
        let domain = json!({"id": record.caller.domain_id, "name": record.domain_name});
        let scope = &auth["scope"];
        let mut token_body = json!({
            "catalog": [],
            "expires_at": iam_time(now + self.lifetime),
            "issued_at": iam_time(now),
            "methods": ["password"],
            "roles": [{"id": "0", "name": "op_service"}],
            "user": {
                "id": record.caller.user_id,
                "name": record.name,
                "domain": domain,
                "password_expires_at": "",
            },
        });
        if scope.get("project").is_some() {
            let id = scope["project"]["id"].as_str();
            let pname = scope["project"]["name"].as_str();
            let project = self
                .projects
                .iter()
                .find(|(d, p)| {
                    d == &record.caller.domain_id
                        && (id == Some(p.id.as_str()) || pname == Some(p.name.as_str()))
                })
                .ok_or_else(|| {
                    IamError::new(
                        StatusCode::BAD_REQUEST,
                        "The scoped project does not exist.",
                    )
                })?;
            token_body["project"] =
                json!({"id": project.1.id, "name": project.1.name, "domain": domain});
        } else if scope.get("domain").is_some() {
            let id = scope["domain"]["id"].as_str();
            let dname = scope["domain"]["name"].as_str();
            if id != Some(record.caller.domain_id.as_str())
                && dname != Some(record.domain_name.as_str())
            {
                return Err(IamError::new(
                    StatusCode::BAD_REQUEST,
                    "The scoped domain does not exist.",
                ));
            }
            token_body["domain"] = domain;
        } else {
            return Err(bad("auth.scope must name a project or a domain"));
        }
        // Only the server's map ties a token to its user: the token itself is nothing but
        // CSPRNG output, with the `MII` prefix clients expect of IAM tokens.
        let random: [u8; TOKEN_RANDOM_BYTES] = ring::rand::generate(&self.rng)
            .map_err(|_| rng_failure())?
            .expose();
        let mut token = String::with_capacity(6 + 2 * TOKEN_RANDOM_BYTES);
        token.push_str("MIIemu");
        for b in random {
            token.push_str(&format!("{b:02x}"));
        }
        let mut tokens = self.tokens.lock().unwrap_or_else(|e| e.into_inner());
        // Expired tokens are refused anyway; dropping them keeps the map as small as the
        // number of live tokens.
        tokens.retain(|_, r| now < r.expires_at);
        tokens.insert(
            token.clone(),
            TokenRecord {
                user: index,
                expires_at: now + self.lifetime,
            },
        );
        drop(tokens);
        Ok((token, json!({ "token": token_body })))
    }

    /// `GET /v3/projects`: the caller's account's projects, filtered by `name`.
    pub(crate) fn list_projects(
        &self,
        caller: &Caller,
        query: &[(String, String)],
        base: &str,
    ) -> Value {
        let name = query
            .iter()
            .find(|(k, _)| k == "name")
            .map(|(_, v)| v.as_str());
        let projects: Vec<Value> = self
            .projects
            .iter()
            .filter(|(d, p)| d == &caller.domain_id && name.is_none_or(|n| n == p.name))
            .map(|(d, p)| {
                json!({
                    "id": p.id,
                    "name": p.name,
                    "domain_id": d,
                    "parent_id": d,
                    "description": "",
                    "enabled": true,
                    "is_domain": false,
                    "links": {"self": format!("{base}/v3/projects/{}", p.id), "previous": "", "next": ""},
                })
            })
            .collect();
        json!({
            "projects": projects,
            "links": {"self": format!("{base}/v3/projects"), "previous": "", "next": ""},
        })
    }
}
