//! Finding credentials: explicit, then environment, then profile.

use std::collections::HashMap;
use std::path::PathBuf;

use codearts_auth::{
    AkSkCredentials, Credentials, CredentialsChain, CredentialsSource, TokenScope,
};
use codearts_transport::ErrorKind;
use secrecy::ExposeSecret;

/// A profile file unique to this test, removed on drop.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str, content: &str) -> Self {
        let path =
            std::env::temp_dir().join(format!("codearts-auth-{}-{name}.ini", std::process::id()));
        std::fs::write(&path, content).unwrap();
        TempFile(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + Send + Sync + 'static {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |name| map.get(name).cloned()
}

fn ak_of(c: &Credentials) -> &str {
    match c {
        Credentials::AkSk(c) => c.ak(),
        other => panic!("expected AK/SK, got {other:?}"),
    }
}

const PROFILE: &str = "\
# Huawei Cloud credentials
[basic]
ak = PROFILE_AK
sk = PROFILE_SK
project_id = proj-from-profile
domain_id = ignored-in-basic
iam_endpoint = https://iam.profile.example.com

[global]
ak = GLOBAL_AK
sk = GLOBAL_SK
domain_id = dom-from-profile
";

#[test]
fn precedence_is_explicit_then_env_then_profile() {
    let file = TempFile::new("precedence", PROFILE);
    let env_vars = [
        ("HUAWEICLOUD_SDK_AK", "ENV_AK"),
        ("HUAWEICLOUD_SDK_SK", "ENV_SK"),
    ];

    // Profile only.
    let r = CredentialsChain::new()
        .with_env_lookup(env(&[]))
        .with_profile_path(&file.0)
        .resolve()
        .unwrap();
    assert_eq!(ak_of(&r.credentials), "PROFILE_AK");
    assert_eq!(r.source, CredentialsSource::Profile(file.0.clone()));
    assert_eq!(
        r.iam_endpoint.unwrap().as_str(),
        "https://iam.profile.example.com"
    );
    if let Credentials::AkSk(c) = &r.credentials {
        assert_eq!(c.project_id(), Some("proj-from-profile"));
        assert_eq!(c.domain_id(), None);
        assert_eq!(c.sk().expose_secret(), "PROFILE_SK");
    }

    // The environment beats the profile.
    let r = CredentialsChain::new()
        .with_env_lookup(env(&env_vars))
        .with_profile_path(&file.0)
        .resolve()
        .unwrap();
    assert_eq!(ak_of(&r.credentials), "ENV_AK");
    assert_eq!(r.source, CredentialsSource::Environment);
    assert!(r.iam_endpoint.is_none());

    // Explicit credentials beat both.
    let r = CredentialsChain::new()
        .with_env_lookup(env(&env_vars))
        .with_profile_path(&file.0)
        .with_credentials(AkSkCredentials::new("EXPLICIT", "S").unwrap().into())
        .resolve()
        .unwrap();
    assert_eq!(ak_of(&r.credentials), "EXPLICIT");
    assert_eq!(r.source, CredentialsSource::Explicit);
}

#[test]
fn profile_path_comes_from_the_environment_and_global_reads_domain_id() {
    let file = TempFile::new("global", PROFILE);
    let path = file.0.to_str().unwrap().to_owned();
    let r = CredentialsChain::new()
        .with_env_lookup(env(&[("HUAWEICLOUD_SDK_CREDENTIALS_FILE", &path)]))
        .with_profile_section("global")
        .resolve()
        .unwrap();
    match &r.credentials {
        Credentials::AkSk(c) => {
            assert_eq!(c.ak(), "GLOBAL_AK");
            assert_eq!(c.domain_id(), Some("dom-from-profile"));
            assert_eq!(c.project_id(), None);
        }
        other => panic!("{other:?}"),
    }
    let direct = Credentials::from_profile(&file.0, "global").unwrap();
    assert_eq!(ak_of(&direct), "GLOBAL_AK");
}

#[test]
fn nothing_found_lists_where_the_chain_looked() {
    let err = CredentialsChain::new()
        .with_env_lookup(env(&[("HOME", "/nonexistent-home-for-test")]))
        .resolve()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Credentials);
    let msg = err.to_string();
    for needle in [
        "explicitly",
        "HUAWEICLOUD_SDK_AK",
        "HUAWEICLOUD_SDK_USER_NAME",
        "HUAWEICLOUD_SDK_TOKEN",
        "/nonexistent-home-for-test/.huaweicloud/credentials",
        "[basic]",
    ] {
        assert!(msg.contains(needle), "`{needle}` missing from: {msg}");
    }
}

#[test]
fn env_aksk_with_extras() {
    let c = Credentials::from_env_with(&env(&[
        ("HUAWEICLOUD_SDK_AK", "A"),
        ("HUAWEICLOUD_SDK_SK", "S"),
        ("HUAWEICLOUD_SDK_SECURITY_TOKEN", "T"),
        ("HUAWEICLOUD_SDK_PROJECT_ID", "P"),
        ("HUAWEICLOUD_SDK_DOMAIN_ID", "D"),
    ]))
    .unwrap();
    let Credentials::AkSk(c) = c else { panic!() };
    assert_eq!(c.ak(), "A");
    assert_eq!(c.security_token().unwrap().expose_secret(), "T");
    assert_eq!(c.project_id(), Some("P"));
    assert_eq!(c.domain_id(), Some("D"));
}

#[test]
fn env_password_and_token() {
    let base = [
        ("HUAWEICLOUD_SDK_USER_NAME", "alice"),
        ("HUAWEICLOUD_SDK_PASSWORD", "pw"),
        ("HUAWEICLOUD_SDK_DOMAIN_NAME", "acme"),
    ];
    let c = Credentials::from_env_with(&env(&base)).unwrap();
    let Credentials::Password(p) = c else {
        panic!()
    };
    assert_eq!(p.user_name(), "alice");
    assert_eq!(p.scope(), &TokenScope::DomainName("acme".into()));

    let mut with_project = base.to_vec();
    with_project.push(("HUAWEICLOUD_SDK_PROJECT_NAME", "cn-north-4"));
    let Credentials::Password(p) = Credentials::from_env_with(&env(&with_project)).unwrap() else {
        panic!()
    };
    assert_eq!(p.scope(), &TokenScope::ProjectName("cn-north-4".into()));

    let c = Credentials::from_env_with(&env(&[("HUAWEICLOUD_SDK_TOKEN", "MII")])).unwrap();
    assert!(matches!(c, Credentials::Token(t) if t.expose_secret() == "MII"));
}

#[test]
fn incomplete_env_is_an_error_not_skipped() {
    let file = TempFile::new("incomplete", PROFILE);
    let err = CredentialsChain::new()
        .with_env_lookup(env(&[("HUAWEICLOUD_SDK_AK", "A")]))
        .with_profile_path(&file.0)
        .resolve()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Credentials);
    assert!(err.message().contains("HUAWEICLOUD_SDK_SK"));

    let err = Credentials::from_env_with(&env(&[("HUAWEICLOUD_SDK_USER_NAME", "u")])).unwrap_err();
    assert!(err.message().contains("HUAWEICLOUD_SDK_PASSWORD"), "{err}");
    // Empty values count as unset.
    let err = Credentials::from_env_with(&env(&[("HUAWEICLOUD_SDK_AK", "")])).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Credentials);
}

#[test]
fn profile_section_without_keys_is_an_error() {
    let file = TempFile::new("nokeys", "[basic]\nproject_id = p\n");
    let err = Credentials::from_profile(&file.0, "basic").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.message().contains("`ak` and `sk`"), "{err}");
    let err = Credentials::from_profile(&file.0, "global").unwrap_err();
    assert!(err.message().contains("[global]"), "{err}");
}

#[test]
fn iam_endpoint_sources() {
    let lookup = [
        ("HUAWEICLOUD_SDK_AK", "A"),
        ("HUAWEICLOUD_SDK_SK", "S"),
        (
            "HUAWEICLOUD_SDK_IAM_ENDPOINT",
            "https://iam.env.example.com",
        ),
    ];
    let r = CredentialsChain::new()
        .with_env_lookup(env(&lookup))
        .with_region("cn-north-4")
        .resolve()
        .unwrap();
    assert_eq!(
        r.iam_endpoint.unwrap().as_str(),
        "https://iam.env.example.com"
    );

    let r = CredentialsChain::new()
        .with_env_lookup(env(&lookup[..2]))
        .with_region("cn-north-4")
        .resolve()
        .unwrap();
    assert_eq!(
        r.iam_endpoint.unwrap().as_str(),
        "https://iam.cn-north-4.myhuaweicloud.com"
    );

    let err = CredentialsChain::new()
        .with_env_lookup(env(&[
            ("HUAWEICLOUD_SDK_TOKEN", "t"),
            ("HUAWEICLOUD_SDK_IAM_ENDPOINT", "not a url"),
        ]))
        .resolve()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
}

#[cfg(unix)]
#[test]
fn a_profile_others_may_read_is_used_with_one_warning() {
    use std::os::unix::fs::PermissionsExt;
    use std::sync::{Arc, Mutex};

    let file = TempFile::new("exposed", "[basic]\nak = AKFILE\nsk = skfile\n");
    let warnings: Arc<Mutex<Vec<String>>> = Arc::default();
    let chain = |warnings: &Arc<Mutex<Vec<String>>>| {
        let sink = warnings.clone();
        CredentialsChain::new()
            .with_env_lookup(env(&[]))
            .with_profile_path(&file.0)
            .with_warning_hook(move |m| sink.lock().unwrap().push(m.to_owned()))
    };

    std::fs::set_permissions(&file.0, std::fs::Permissions::from_mode(0o600)).unwrap();
    let resolved = chain(&warnings).resolve().unwrap();
    assert_eq!(ak_of(&resolved.credentials), "AKFILE");
    assert!(warnings.lock().unwrap().is_empty());

    std::fs::set_permissions(&file.0, std::fs::Permissions::from_mode(0o644)).unwrap();
    for _ in 0..3 {
        let resolved = chain(&warnings).resolve().unwrap();
        assert_eq!(ak_of(&resolved.credentials), "AKFILE");
    }
    let seen = warnings.lock().unwrap().clone();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert!(seen[0].contains("mode 644"), "{}", seen[0]);
    assert!(seen[0].contains("chmod 600"), "{}", seen[0]);
    assert!(!seen[0].contains("skfile"));
}
