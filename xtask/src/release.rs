//! `cargo xtask release [--bump patch|minor|major] [--dry-run]`: bumps the workspace version,
//! writes the changelog, and runs `cargo publish --dry-run` over every published crate in
//! dependency order (cargo orders a workspace publish itself and checks each crate against the
//! ones packaged before it).
//!
//! Without `--dry-run` the version and changelog are written and the crates are packaged and
//! verified; publishing for real is left to a maintainer with a crates.io token
//! (`cargo publish --workspace`), on purpose.

use std::fs;
use std::process::Command;

use crate::workspace_root;

const USAGE: &str = "usage: cargo xtask release [--bump patch|minor|major] [--dry-run]";

pub fn run(args: &[String]) -> Result<(), String> {
    let mut bump = "patch".to_owned();
    let mut dry_run = false;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--dry-run" => dry_run = true,
            "--bump" => bump = it.next().ok_or(USAGE)?.clone(),
            _ => return Err(USAGE.to_owned()),
        }
    }
    let root = workspace_root();
    let manifest_path = root.join("Cargo.toml");
    let manifest = fs::read_to_string(&manifest_path).map_err(|e| format!("Cargo.toml: {e}"))?;
    let current = workspace_version(&manifest).ok_or("no version in [workspace.package]")?;
    let next = bumped(&current, &bump)?;
    println!(
        "release: {current} -> {next}{}",
        if dry_run { " (dry run)" } else { "" }
    );

    let notes = changelog_section(&next)?;
    if dry_run {
        println!("{notes}");
    } else {
        fs::write(&manifest_path, set_versions(&manifest, &current, &next))
            .map_err(|e| format!("Cargo.toml: {e}"))?;
        let changelog_path = root.join("CHANGELOG.md");
        let old =
            fs::read_to_string(&changelog_path).unwrap_or_else(|_| "# Changelog\n".to_owned());
        let (head, rest) = old.split_once('\n').unwrap_or((&old, ""));
        fs::write(&changelog_path, format!("{head}\n\n{notes}{rest}"))
            .map_err(|e| format!("CHANGELOG.md: {e}"))?;
        println!("wrote Cargo.toml and CHANGELOG.md");
    }

    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
        .current_dir(&root)
        .args(["publish", "--workspace", "--dry-run", "--allow-dirty"])
        .status()
        .map_err(|e| format!("cannot run cargo publish: {e}"))?;
    if !status.success() {
        return Err("cargo publish --dry-run failed".to_owned());
    }
    println!("every published crate packages and builds from its package alone");
    Ok(())
}

/// The `version` of `[workspace.package]`.
fn workspace_version(manifest: &str) -> Option<String> {
    let section = manifest.split("[workspace.package]").nth(1)?;
    section
        .lines()
        .take_while(|l| !l.starts_with('['))
        .find_map(|l| l.strip_prefix("version = \""))
        .map(|v| v.trim_end_matches('"').to_owned())
}

fn bumped(version: &str, bump: &str) -> Result<String, String> {
    let parts: Vec<u64> = version
        .split('.')
        .map(|p| {
            p.parse::<u64>()
                .map_err(|_| format!("version `{version}` is not x.y.z"))
        })
        .collect::<Result<_, _>>()?;
    let [major, minor, patch] = parts[..] else {
        return Err(format!("version `{version}` is not x.y.z"));
    };
    Ok(match bump {
        "major" => format!("{}.0.0", major + 1),
        "minor" => format!("{major}.{}.0", minor + 1),
        "patch" => format!("{major}.{minor}.{}", patch + 1),
        other => return Err(format!("unknown bump `{other}`; {USAGE}")),
    })
}

/// Replaces the workspace version and the versions our crates require of one another.
fn set_versions(manifest: &str, current: &str, next: &str) -> String {
    manifest
        .lines()
        .map(|line| {
            let ours = line.starts_with("version = ") || line.starts_with("codearts-");
            if ours {
                line.replace(&format!("\"{current}\""), &format!("\"{next}\""))
            } else {
                line.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// A changelog section from the commit subjects since the last tag (or since the start).
fn changelog_section(version: &str) -> Result<String, String> {
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .current_dir(workspace_root())
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    let range = match git(&["describe", "--tags", "--abbrev=0"]) {
        Some(tag) if !tag.is_empty() => format!("{tag}..HEAD"),
        _ => "HEAD".to_owned(),
    };
    let log = git(&["log", "--no-merges", "--format=%s", &range]).ok_or("git log failed")?;
    let date = git(&["log", "-1", "--format=%cs"]).unwrap_or_default();
    let mut section = format!("## {version} ({date})\n\n");
    for subject in log.lines().filter(|l| !l.is_empty()) {
        section.push_str(&format!("- {subject}\n"));
    }
    section.push('\n');
    Ok(section)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert_eq!(bumped("0.1.0", "patch").unwrap(), "0.1.1");
        assert_eq!(bumped("0.1.9", "minor").unwrap(), "0.2.0");
        assert_eq!(bumped("1.2.3", "major").unwrap(), "2.0.0");
        assert!(bumped("1.2", "patch").is_err());
        assert!(bumped("1.2.3", "huge").is_err());
    }

    #[test]
    fn manifest_edits_touch_only_our_versions() {
        let manifest = "[workspace.package]\nversion = \"0.1.0\"\n\n[workspace.dependencies]\ncodearts-model = { path = \"crates/codearts-model\", version = \"0.1.0\" }\nserde = { version = \"0.1.0\" }\n";
        assert_eq!(workspace_version(manifest).as_deref(), Some("0.1.0"));
        let edited = set_versions(manifest, "0.1.0", "0.1.1");
        assert!(edited.contains("version = \"0.1.1\"\n"));
        assert!(edited.contains(
            "codearts-model = { path = \"crates/codearts-model\", version = \"0.1.1\" }"
        ));
        assert!(edited.contains("serde = { version = \"0.1.0\" }"));
    }
}
