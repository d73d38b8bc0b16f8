//! Accounts and seed data, read from a JSON fixture file or the built-in demo account.
//!
//! See `docs/emulator.md` for the format.

use serde::{Deserialize, Serialize};

/// The demo account's domain (account) name.
pub const DEMO_DOMAIN: &str = "demo";
/// The demo account's domain id.
pub const DEMO_DOMAIN_ID: &str = "d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0";
/// The demo user's name.
pub const DEMO_USER: &str = "demo";
/// The demo user's id.
pub const DEMO_USER_ID: &str = "a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0";
/// The demo user's password.
pub const DEMO_PASSWORD: &str = "demo-password";
/// The demo user's access key.
pub const DEMO_AK: &str = "DEMOAKEMULATOR0000001";
/// The demo user's secret key.
pub const DEMO_SK: &str = "DEMOSKemulatorSecretKey0000000000000001";
/// The demo project's name.
pub const DEMO_PROJECT: &str = "demo-project";
/// The demo project's id (used both as the IAM project id and the CodeArts project id).
pub const DEMO_PROJECT_ID: &str = "5a1b2c3d4e5f60718293a4b5c6d7e8f9";
/// The demo user's role in the demo project (CodeArts role 3: project manager).
pub const DEMO_ROLE_ID: i64 = 3;

/// Everything the emulator starts with.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fixture {
    /// Accounts (IAM domains) with their users and projects.
    #[serde(default)]
    pub accounts: Vec<Account>,
    /// Pipelines that exist at start.
    #[serde(default)]
    pub pipelines: Vec<SeedPipeline>,
    /// Build jobs that exist at start.
    #[serde(default)]
    pub build_jobs: Vec<SeedBuildJob>,
    /// How long issued IAM tokens live, in seconds (default 24 hours).
    #[serde(default)]
    pub token_lifetime_secs: Option<u64>,
    /// How many status polls (`show_pipeline_run_detail`, `show_job_status`) a run or build
    /// stays RUNNING before it completes (default 0: it completes at once).
    #[serde(default)]
    pub polls_until_done: Option<u32>,
}

/// An IAM account (domain).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Account {
    /// The domain id (32 hex digits).
    pub domain_id: String,
    /// The domain (account) name.
    pub domain_name: String,
    /// Its users.
    #[serde(default)]
    pub users: Vec<User>,
    /// Its projects.
    #[serde(default)]
    pub projects: Vec<Project>,
}

/// An IAM user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    /// The user id.
    pub id: String,
    /// The user name.
    pub name: String,
    /// The password (for IAM tokens).
    pub password: String,
    /// AK/SK pairs.
    #[serde(default)]
    pub access_keys: Vec<AccessKey>,
    /// The user's CodeArts role id in every project of the account (default 3).
    #[serde(default)]
    pub role_id: Option<i64>,
}

/// An AK/SK pair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessKey {
    /// The access key.
    pub access_key: String,
    /// The secret key.
    pub secret_key: String,
}

/// A project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Project {
    /// The project id (32 hex digits).
    pub id: String,
    /// The project name.
    pub name: String,
}

/// A pipeline that exists at start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedPipeline {
    /// Its id; generated when absent.
    #[serde(default)]
    pub id: Option<String>,
    /// The CodeArts project id.
    pub project_id: String,
    /// The name.
    pub name: String,
    /// The definition (a JSON string, as the service stores it).
    #[serde(default)]
    pub definition: String,
    /// Force a manual review step whatever the definition says.
    #[serde(default)]
    pub manual_review: bool,
}

/// A build job that exists at start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedBuildJob {
    /// Its id; generated when absent.
    #[serde(default)]
    pub id: Option<String>,
    /// The CodeArts project id.
    pub project_id: String,
    /// The job name.
    pub job_name: String,
}

impl Fixture {
    /// The built-in demo account: domain `demo`, user `demo` / `demo-password`, AK/SK
    /// [`DEMO_AK`] / [`DEMO_SK`], project `demo-project` ([`DEMO_PROJECT_ID`]).
    pub fn demo() -> Self {
        Fixture {
            accounts: vec![Account {
                domain_id: DEMO_DOMAIN_ID.to_owned(),
                domain_name: DEMO_DOMAIN.to_owned(),
                users: vec![User {
                    id: DEMO_USER_ID.to_owned(),
                    name: DEMO_USER.to_owned(),
                    password: DEMO_PASSWORD.to_owned(),
                    access_keys: vec![AccessKey {
                        access_key: DEMO_AK.to_owned(),
                        secret_key: DEMO_SK.to_owned(),
                    }],
                    role_id: Some(DEMO_ROLE_ID),
                }],
                projects: vec![Project {
                    id: DEMO_PROJECT_ID.to_owned(),
                    name: DEMO_PROJECT.to_owned(),
                }],
            }],
            ..Fixture::default()
        }
    }

    /// Reads a fixture from JSON text.
    pub fn from_json(text: &str) -> Result<Self, String> {
        serde_json::from_str(text).map_err(|e| format!("the fixture is not valid: {e}"))
    }

    /// Reads a fixture file.
    pub fn from_file(path: &std::path::Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the fixture {}: {e}", path.display()))?;
        Self::from_json(&text).map_err(|e| format!("{}: {e}", path.display()))
    }
}
