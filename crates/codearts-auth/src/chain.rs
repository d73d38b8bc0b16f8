//! Where credentials come from: given explicitly, the environment, or the profile file.
//!
//! # Environment variables
//!
//! | variable | meaning |
//! | --- | --- |
//! | `HUAWEICLOUD_SDK_AK`, `HUAWEICLOUD_SDK_SK` | access key pair (as the official SDKs) |
//! | `HUAWEICLOUD_SDK_SECURITY_TOKEN` | security token of temporary AK/SK (official) |
//! | `HUAWEICLOUD_SDK_PROJECT_ID` | `X-Project-Id` for AK/SK; token scope for password auth (official) |
//! | `HUAWEICLOUD_SDK_DOMAIN_ID` | `X-Domain-Id` for AK/SK; token scope for password auth (official) |
//! | `HUAWEICLOUD_SDK_IAM_ENDPOINT` | the IAM endpoint, overriding the region table (official) |
//! | `HUAWEICLOUD_SDK_CREDENTIALS_FILE` | the profile file, instead of `~/.huaweicloud/credentials` (official) |
//! | `HUAWEICLOUD_SDK_USER_NAME`, `HUAWEICLOUD_SDK_PASSWORD`, `HUAWEICLOUD_SDK_DOMAIN_NAME` | IAM user, password and account name for password auth (codearts-rs only) |
//! | `HUAWEICLOUD_SDK_PROJECT_NAME` | token scope by project name for password auth (codearts-rs only) |
//! | `HUAWEICLOUD_SDK_TOKEN` | an IAM token to send as it is (codearts-rs only) |
//!
//! AK/SK wins over password, which wins over a token. An empty variable counts as unset. For
//! password auth the token is scoped to the project id, else the project name, else the domain
//! id, else the account named by `HUAWEICLOUD_SDK_DOMAIN_NAME`.
//!
//! # Profile file
//!
//! The official INI file: sections `[basic]` (project-scoped) and `[global]` (account-scoped)
//! with keys `ak`, `sk`, `security_token`, `project_id` (read in `basic` sections),
//! `domain_id` (read in `global` sections) and `iam_endpoint`. Comments start with `#` or `;`,
//! keys are case-insensitive, `[DEFAULT]` values apply to every section and `%%` stands for `%`,
//! as in Python's `configparser`.
//!
//! On Unix, a profile file that group or others may access is still used, but a warning goes
//! to the chain's warning hook (by default `tracing::warn!`), once per file and process, as
//! ssh does for keys: `chmod 600` the file.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use codearts_transport::{Endpoint, Error};

use crate::credentials::{AkSkCredentials, Credentials, PasswordCredentials, TokenScope};
use crate::token::iam_endpoint_for_region;

/// Access key id.
pub const ENV_AK: &str = "HUAWEICLOUD_SDK_AK";
/// Secret access key.
pub const ENV_SK: &str = "HUAWEICLOUD_SDK_SK";
/// Security token of temporary credentials.
pub const ENV_SECURITY_TOKEN: &str = "HUAWEICLOUD_SDK_SECURITY_TOKEN";
/// Project id.
pub const ENV_PROJECT_ID: &str = "HUAWEICLOUD_SDK_PROJECT_ID";
/// Domain (account) id.
pub const ENV_DOMAIN_ID: &str = "HUAWEICLOUD_SDK_DOMAIN_ID";
/// IAM endpoint override.
pub const ENV_IAM_ENDPOINT: &str = "HUAWEICLOUD_SDK_IAM_ENDPOINT";
/// Profile file path override.
pub const ENV_CREDENTIALS_FILE: &str = "HUAWEICLOUD_SDK_CREDENTIALS_FILE";
/// IAM user name (codearts-rs only).
pub const ENV_USER_NAME: &str = "HUAWEICLOUD_SDK_USER_NAME";
/// IAM password (codearts-rs only).
pub const ENV_PASSWORD: &str = "HUAWEICLOUD_SDK_PASSWORD";
/// Account (domain) name of the IAM user (codearts-rs only).
pub const ENV_DOMAIN_NAME: &str = "HUAWEICLOUD_SDK_DOMAIN_NAME";
/// Project name to scope a password token to (codearts-rs only).
pub const ENV_PROJECT_NAME: &str = "HUAWEICLOUD_SDK_PROJECT_NAME";
/// A caller-supplied IAM token (codearts-rs only).
pub const ENV_TOKEN: &str = "HUAWEICLOUD_SDK_TOKEN";

/// Looks up an environment variable; injectable so tests need not touch the process
/// environment.
pub type EnvLookup = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// Receives warnings about credentials that are used but exposed (a profile file others may
/// read); see [`CredentialsChain::with_warning_hook`].
pub type WarningHook = Arc<dyn Fn(&str) + Send + Sync>;

/// Warnings already given, so each is given once per process however often a chain resolves.
static WARNED: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());

/// Warns through `hook`, once per process, when group or others may access the file at
/// `path`. Unix only: elsewhere permissions are not modes.
fn warn_if_exposed(path: &Path, hook: &WarningHook) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let Ok(metadata) = std::fs::metadata(path) else {
            return;
        };
        let mode = metadata.permissions().mode() & 0o777;
        if mode & 0o077 == 0 {
            return;
        }
        {
            let mut warned = WARNED.lock().unwrap_or_else(|e| e.into_inner());
            if warned.iter().any(|p| p == path) {
                return;
            }
            warned.push(path.to_path_buf());
        }
        hook(&format!(
            "the credentials file `{}` may be read by group or others (mode {mode:03o}); \
             it is used, but run `chmod 600 {}`",
            path.display(),
            path.display()
        ));
    }
    #[cfg(not(unix))]
    let _ = (path, hook);
}

fn default_warning_hook() -> WarningHook {
    Arc::new(|message| tracing::warn!("{message}"))
}

/// The process environment as an [`EnvLookup`].
pub fn process_env() -> EnvLookup {
    Arc::new(|name| std::env::var(name).ok())
}

fn get(lookup: &dyn Fn(&str) -> Option<String>, name: &str) -> Option<String> {
    lookup(name).filter(|v| !v.is_empty())
}

impl Credentials {
    /// Credentials from the process environment (see the [module docs](crate::chain)); none
    /// there, or incomplete ones, is an [`ErrorKind::Credentials`] error.
    ///
    /// [`ErrorKind::Credentials`]: codearts_transport::ErrorKind::Credentials
    pub fn from_env() -> Result<Credentials, Error> {
        Self::from_env_with(&|name| std::env::var(name).ok())
    }

    /// Credentials from the variables `lookup` returns.
    pub fn from_env_with(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Credentials, Error> {
        env_credentials(lookup)?.ok_or_else(|| {
            Error::credentials(format!(
                "no credentials in the environment: set {ENV_AK} and {ENV_SK}, or \
                 {ENV_USER_NAME}, {ENV_PASSWORD} and {ENV_DOMAIN_NAME}, or {ENV_TOKEN}"
            ))
        })
    }

    /// AK/SK credentials from `section` (`basic` or `global`) of the profile file at `path`.
    /// A missing file or section is an [`ErrorKind::Credentials`] error; an unreadable file,
    /// or a section without `ak` and `sk`, an [`ErrorKind::Config`] error.
    ///
    /// [`ErrorKind::Credentials`]: codearts_transport::ErrorKind::Credentials
    /// [`ErrorKind::Config`]: codearts_transport::ErrorKind::Config
    pub fn from_profile(path: impl AsRef<Path>, section: &str) -> Result<Credentials, Error> {
        let path = path.as_ref();
        match profile_credentials(path, section)? {
            Some(profile) => Ok(profile.credentials),
            None => Err(Error::credentials(format!(
                "the credentials file `{}` does not exist or has no [{section}] section",
                path.display()
            ))),
        }
    }
}

fn env_credentials(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Option<Credentials>, Error> {
    let ak = get(lookup, ENV_AK);
    let sk = get(lookup, ENV_SK);
    match (ak, sk) {
        (Some(ak), Some(sk)) => {
            let mut c = AkSkCredentials::new(ak, sk)?;
            if let Some(t) = get(lookup, ENV_SECURITY_TOKEN) {
                c = c.with_security_token(t);
            }
            if let Some(id) = get(lookup, ENV_PROJECT_ID) {
                c = c.with_project_id(id);
            }
            if let Some(id) = get(lookup, ENV_DOMAIN_ID) {
                c = c.with_domain_id(id);
            }
            return Ok(Some(Credentials::AkSk(c)));
        }
        (Some(_), None) => {
            return Err(Error::credentials(format!(
                "{ENV_AK} is set but {ENV_SK} is not"
            )))
        }
        (None, Some(_)) => {
            return Err(Error::credentials(format!(
                "{ENV_SK} is set but {ENV_AK} is not"
            )))
        }
        (None, None) => {}
    }

    let names = [ENV_USER_NAME, ENV_PASSWORD, ENV_DOMAIN_NAME];
    let values: Vec<Option<String>> = names.iter().map(|n| get(lookup, n)).collect();
    if values.iter().any(Option::is_some) {
        let missing: Vec<&str> = names
            .iter()
            .zip(&values)
            .filter(|(_, v)| v.is_none())
            .map(|(n, _)| *n)
            .collect();
        if !missing.is_empty() {
            return Err(Error::credentials(format!(
                "password authentication needs {}: {} not set",
                names.join(", "),
                missing.join(", ")
            )));
        }
        let mut values = values.into_iter().flatten();
        let (user, password, domain) = match (values.next(), values.next(), values.next()) {
            (Some(u), Some(p), Some(d)) => (u, p, d),
            _ => return Err(Error::credentials("password authentication is incomplete")),
        };
        let scope = if let Some(id) = get(lookup, ENV_PROJECT_ID) {
            TokenScope::ProjectId(id)
        } else if let Some(name) = get(lookup, ENV_PROJECT_NAME) {
            TokenScope::ProjectName(name)
        } else if let Some(id) = get(lookup, ENV_DOMAIN_ID) {
            TokenScope::DomainId(id)
        } else {
            TokenScope::DomainName(domain.clone())
        };
        let c = PasswordCredentials::new(user, password, domain, scope)?;
        return Ok(Some(Credentials::Password(c)));
    }

    match get(lookup, ENV_TOKEN) {
        Some(token) => Ok(Some(Credentials::token(token)?)),
        None => Ok(None),
    }
}

/// The profile file path: `HUAWEICLOUD_SDK_CREDENTIALS_FILE`, else
/// `~/.huaweicloud/credentials` (home from `HOME`, or `USERPROFILE` on Windows).
pub fn default_profile_path(lookup: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    if let Some(path) = get(lookup, ENV_CREDENTIALS_FILE) {
        return Some(PathBuf::from(path));
    }
    let home = get(lookup, "HOME").or_else(|| get(lookup, "USERPROFILE"))?;
    Some(PathBuf::from(home).join(".huaweicloud").join("credentials"))
}

struct Profile {
    credentials: Credentials,
    iam_endpoint: Option<String>,
}

/// `None` when the file or the section does not exist.
fn profile_credentials(path: &Path, section: &str) -> Result<Option<Profile>, Error> {
    let text = match std::fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes).map_err(|_| {
            Error::config(format!(
                "the credentials file `{}` is not UTF-8",
                path.display()
            ))
        })?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(Error::config(format!(
                "the credentials file `{}` could not be read",
                path.display()
            ))
            .with_source(e))
        }
    };
    let bad = |why: String| {
        Error::config(format!(
            "the credentials file `{}` is not valid: {why}",
            path.display()
        ))
    };
    let ini = Ini::parse(&text).map_err(bad)?;
    let values = match ini.section(section).map_err(bad)? {
        Some(values) => values,
        None => return Ok(None),
    };
    let value = |key: &str| values.get(key).filter(|v| !v.is_empty()).cloned();
    let (ak, sk) = match (value("ak"), value("sk")) {
        (Some(ak), Some(sk)) => (ak, sk),
        _ => {
            let federated = value("idp_id").is_some() && value("id_token_file").is_some();
            return Err(bad(if federated {
                format!("[{section}] uses federated identity (idp_id, id_token_file), which codearts-rs does not support yet")
            } else {
                format!("[{section}] has no `ak` and `sk`")
            }));
        }
    };
    let mut c = AkSkCredentials::new(ak, sk)?;
    if let Some(token) = value("security_token") {
        c = c.with_security_token(token);
    }
    let basic = section.to_ascii_lowercase().starts_with("basic");
    let global = section.to_ascii_lowercase().starts_with("global");
    if !global {
        if let Some(id) = value("project_id") {
            c = c.with_project_id(id);
        }
    }
    if !basic {
        if let Some(id) = value("domain_id") {
            c = c.with_domain_id(id);
        }
    }
    Ok(Some(Profile {
        credentials: Credentials::AkSk(c),
        iam_endpoint: value("iam_endpoint"),
    }))
}

/// A small INI reader with `configparser`'s defaults.
struct Ini {
    defaults: BTreeMap<String, String>,
    sections: Vec<(String, BTreeMap<String, String>)>,
}

impl Ini {
    fn parse(text: &str) -> Result<Ini, String> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut ini = Ini {
            defaults: BTreeMap::new(),
            sections: Vec::new(),
        };
        // Index into `sections`, or None for [DEFAULT]; outer None before any header.
        let mut current: Option<Option<usize>> = None;
        let mut last_key: Option<(String, usize)> = None;
        for (n, line) in text.lines().enumerate() {
            let n = n + 1;
            let trimmed = line.trim();
            if trimmed.is_empty() {
                last_key = None;
                continue;
            }
            if trimmed.starts_with('#') || trimmed.starts_with(';') {
                continue;
            }
            let indent = line.len() - line.trim_start().len();
            if let (Some((key, key_indent)), Some(section)) = (&last_key, current) {
                if indent > *key_indent {
                    let map = ini.map_mut(section);
                    if let Some(value) = map.get_mut(key) {
                        value.push('\n');
                        value.push_str(trimmed);
                    }
                    continue;
                }
            }
            if let Some(rest) = trimmed.strip_prefix('[') {
                let end = rest
                    .rfind(']')
                    .ok_or_else(|| format!("line {n}: a section header lacks `]`"))?;
                let name = &rest[..end];
                if name.is_empty() {
                    return Err(format!("line {n}: an empty section name"));
                }
                if name == "DEFAULT" {
                    current = Some(None);
                } else {
                    if ini.sections.iter().any(|(s, _)| s == name) {
                        return Err(format!("line {n}: section [{name}] appears twice"));
                    }
                    ini.sections.push((name.to_owned(), BTreeMap::new()));
                    current = Some(Some(ini.sections.len() - 1));
                }
                last_key = None;
                continue;
            }
            let section = current.ok_or_else(|| format!("line {n}: a key before any [section]"))?;
            let split = trimmed
                .find(['=', ':'])
                .ok_or_else(|| format!("line {n}: expected `key = value`"))?;
            let key = trimmed[..split].trim().to_lowercase();
            let value = trimmed[split + 1..].trim().to_owned();
            if key.is_empty() {
                return Err(format!("line {n}: a value without a key"));
            }
            let map = ini.map_mut(section);
            if map.contains_key(&key) {
                return Err(format!(
                    "line {n}: key `{key}` appears twice in its section"
                ));
            }
            map.insert(key.clone(), value);
            last_key = Some((key, indent));
        }
        Ok(ini)
    }

    fn map_mut(&mut self, section: Option<usize>) -> &mut BTreeMap<String, String> {
        match section {
            Some(i) => &mut self.sections[i].1,
            None => &mut self.defaults,
        }
    }

    /// The section's values with defaults applied and `%%` / `%(key)s` interpolated.
    fn section(&self, name: &str) -> Result<Option<BTreeMap<String, String>>, String> {
        let own = match self.sections.iter().find(|(s, _)| s == name) {
            Some((_, own)) => own,
            None => return Ok(None),
        };
        let mut raw = self.defaults.clone();
        raw.extend(own.iter().map(|(k, v)| (k.clone(), v.clone())));
        let mut out = BTreeMap::new();
        for (key, value) in &raw {
            out.insert(key.clone(), interpolate(&raw, key, value, 0)?);
        }
        Ok(Some(out))
    }
}

fn interpolate(
    raw: &BTreeMap<String, String>,
    key: &str,
    value: &str,
    depth: usize,
) -> Result<String, String> {
    if depth > 10 {
        return Err(format!("`{key}`: interpolation nested too deeply"));
    }
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(at) = rest.find('%') {
        out.push_str(&rest[..at]);
        rest = &rest[at + 1..];
        if let Some(after) = rest.strip_prefix('%') {
            out.push('%');
            rest = after;
        } else if let Some(after) = rest.strip_prefix('(') {
            let close = after
                .find(")s")
                .ok_or_else(|| format!("`{key}`: a `%(` without `)s`"))?;
            let name = after[..close].to_lowercase();
            let referenced = raw
                .get(&name)
                .ok_or_else(|| format!("`{key}` refers to `{name}`, which is not set"))?;
            out.push_str(&interpolate(raw, &name, referenced, depth + 1)?);
            rest = &after[close + 2..];
        } else {
            return Err(format!(
                "`{key}`: a lone `%` (write `%%` for a percent sign)"
            ));
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// Where resolved credentials came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialsSource {
    /// Given to the chain by the caller.
    Explicit,
    /// The environment variables.
    Environment,
    /// The profile file at this path.
    Profile(PathBuf),
}

/// What a [`CredentialsChain`] found.
#[derive(Debug, Clone)]
pub struct ResolvedCredentials {
    /// The credentials.
    pub credentials: Credentials,
    /// Where they came from.
    pub source: CredentialsSource,
    /// The IAM endpoint: given, from `HUAWEICLOUD_SDK_IAM_ENDPOINT`, from the profile's
    /// `iam_endpoint` (when the credentials came from the profile), or from the region table.
    pub iam_endpoint: Option<Endpoint>,
}

/// Looks for credentials in order: given explicitly, the environment, the profile file.
#[derive(Clone)]
pub struct CredentialsChain {
    explicit: Option<Credentials>,
    env: EnvLookup,
    profile_path: Option<PathBuf>,
    section: String,
    iam_endpoint: Option<Endpoint>,
    region: Option<String>,
    warn: WarningHook,
}

impl Default for CredentialsChain {
    fn default() -> Self {
        Self::new()
    }
}

impl CredentialsChain {
    /// A chain over the process environment and the default profile's `[basic]` section.
    pub fn new() -> Self {
        CredentialsChain {
            explicit: None,
            env: process_env(),
            profile_path: None,
            section: "basic".to_owned(),
            iam_endpoint: None,
            region: None,
            warn: default_warning_hook(),
        }
    }

    /// Sends warnings (a profile file others may read) to `hook` instead of
    /// `tracing::warn!`; a command line prints them on stderr.
    pub fn with_warning_hook(mut self, hook: impl Fn(&str) + Send + Sync + 'static) -> Self {
        self.warn = Arc::new(hook);
        self
    }

    /// Uses `credentials` before looking anywhere else.
    pub fn with_credentials(mut self, credentials: Credentials) -> Self {
        self.explicit = Some(credentials);
        self
    }

    /// Reads environment variables through `lookup` instead of the process environment.
    pub fn with_env_lookup(
        mut self,
        lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        self.env = Arc::new(lookup);
        self
    }

    /// Reads the profile file at `path` instead of the default one.
    pub fn with_profile_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.profile_path = Some(path.into());
        self
    }

    /// Reads `section` of the profile file (default `basic`; `global` for account scope).
    pub fn with_profile_section(mut self, section: impl Into<String>) -> Self {
        self.section = section.into();
        self
    }

    /// Uses `endpoint` for IAM, before any other source.
    pub fn with_iam_endpoint(mut self, endpoint: Endpoint) -> Self {
        self.iam_endpoint = Some(endpoint);
        self
    }

    /// Takes the IAM endpoint of `region` from the region table when no other source gives
    /// one.
    pub fn with_region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// The first credentials found; none anywhere is an [`ErrorKind::Credentials`] error
    /// listing where the chain looked. Credentials present but incomplete (an AK without an
    /// SK, a profile section without keys) are an error too, not skipped.
    ///
    /// [`ErrorKind::Credentials`]: codearts_transport::ErrorKind::Credentials
    pub fn resolve(&self) -> Result<ResolvedCredentials, Error> {
        let lookup = |name: &str| (self.env)(name);
        let profile_path = self
            .profile_path
            .clone()
            .or_else(|| default_profile_path(&lookup));
        let mut profile_endpoint = None;
        let (credentials, source) = if let Some(c) = &self.explicit {
            (c.clone(), CredentialsSource::Explicit)
        } else if let Some(c) = env_credentials(&lookup)? {
            (c, CredentialsSource::Environment)
        } else if let Some(profile) = match &profile_path {
            Some(path) => profile_credentials(path, &self.section)?,
            None => None,
        } {
            profile_endpoint = profile.iam_endpoint;
            let path = profile_path.clone().unwrap_or_default();
            warn_if_exposed(&path, &self.warn);
            (profile.credentials, CredentialsSource::Profile(path))
        } else {
            let profile = match &profile_path {
                Some(p) => format!(
                    "the profile file `{}` (section [{}]) does not exist or has no such section",
                    p.display(),
                    self.section
                ),
                None => format!(
                    "no profile file: {ENV_CREDENTIALS_FILE} is unset and there is no home directory"
                ),
            };
            return Err(Error::credentials(format!(
                "no credentials found. Looked at: credentials given explicitly (none); the \
                 environment ({ENV_AK}/{ENV_SK}, {ENV_USER_NAME}/{ENV_PASSWORD}/{ENV_DOMAIN_NAME}, \
                 {ENV_TOKEN}: none set); {profile}"
            )));
        };

        let iam_endpoint = if let Some(e) = &self.iam_endpoint {
            Some(e.clone())
        } else if let Some(url) = get(&lookup, ENV_IAM_ENDPOINT) {
            Some(Endpoint::parse(&url)?)
        } else if let Some(url) = profile_endpoint {
            Some(Endpoint::parse(&url)?)
        } else {
            match &self.region {
                Some(region) => iam_endpoint_for_region(region).ok(),
                None => None,
            }
        };
        Ok(ResolvedCredentials {
            credentials,
            source,
            iam_endpoint,
        })
    }
}

impl fmt::Debug for CredentialsChain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialsChain")
            .field("explicit", &self.explicit)
            .field("profile_path", &self.profile_path)
            .field("section", &self.section)
            .field("iam_endpoint", &self.iam_endpoint)
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ini_reads_configparser_basics() {
        let ini = Ini::parse(
            "\u{feff}# comment\n[DEFAULT]\niam_endpoint = https://iam.example.com\n\n\
             [basic]\nAK = abc\n; note\nsk: s%%k\n  continued\nproject_id=%(ak)s-p\n[global]\nak=x\n",
        )
        .unwrap();
        let basic = ini.section("basic").unwrap().unwrap();
        assert_eq!(basic["ak"], "abc");
        assert_eq!(basic["sk"], "s%k\ncontinued");
        assert_eq!(basic["project_id"], "abc-p");
        assert_eq!(basic["iam_endpoint"], "https://iam.example.com");
        assert!(ini.section("other").unwrap().is_none());
    }

    #[test]
    fn ini_errors_are_reported() {
        assert!(Ini::parse("ak = 1\n").is_err());
        assert!(Ini::parse("[a]\nk=1\n[a]\n").is_err());
        assert!(Ini::parse("[a]\nk=1\nK=2\n").is_err());
        assert!(Ini::parse("[a]\njust a line\n").is_err());
        let ini = Ini::parse("[a]\nk=50%\n").unwrap();
        assert!(ini.section("a").is_err());
    }
}
