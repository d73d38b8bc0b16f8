//! `cargo xtask import-spec [--offline]`: rewrite `spec/` from the pinned official SDK packages.
//!
//! Default mode:
//! 1. creates (once) a virtual environment in `target/spec-venv` and installs the four
//!    packages pinned to [`SDK_VERSION`];
//! 2. downloads their wheels to `target/spec-wheels/<version>` and hashes them; when
//!    `spec/spec.lock.json` already records the same version, every hash must match it;
//! 3. runs `xtask/import_spec.py`, which writes `spec/*.json` and `spec/spec.lock.json`;
//! 4. merges the hand-reviewed overlays of `spec/overlay/` (see [`crate::overlay`]);
//! 5. re-hashes the written spec files and checks them against the new lock file.
//!
//! `--offline` skips the venv and the downloads: it uses the system `python3` (which must
//! already have the pinned packages) and carries the wheel hashes over from the existing
//! lock file, which must be for the same version.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// The official SDK version the spec is imported from.
pub const SDK_VERSION: &str = "3.1.219";

/// The packages installed, downloaded and hashed, in lock-file order.
pub const PACKAGES: [&str; 4] = [
    "huaweicloudsdkcore",
    "huaweicloudsdkcodeartspipeline",
    "huaweicloudsdkcodeartsbuild",
    "huaweicloudsdkiam",
];

const USAGE: &str = "usage: cargo xtask import-spec [--offline]";

pub fn run(args: &[String]) -> Result<(), String> {
    let mut offline = false;
    for arg in args {
        match arg.as_str() {
            "--offline" => offline = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => return Err(format!("import-spec: unknown argument `{other}`\n{USAGE}")),
        }
    }

    let root = crate::workspace_root();
    let script = root.join("xtask").join("import_spec.py");
    let lock_path = root.join("spec").join("spec.lock.json");
    let old_lock = read_lock(&lock_path)?;
    let same_version = old_lock
        .as_ref()
        .and_then(|l| l.get("version"))
        .and_then(Value::as_str)
        == Some(SDK_VERSION);

    let mut script_args: Vec<String> = vec![
        "--repo-root".into(),
        path_str(&root)?,
        "--version".into(),
        SDK_VERSION.into(),
    ];

    let python: PathBuf = if offline {
        if !same_version {
            return Err(format!(
                "--offline needs an existing {} for version {SDK_VERSION} (its wheel hashes are \
                 reused); run `cargo xtask import-spec` without --offline once",
                lock_path.display()
            ));
        }
        script_args.push("--reuse-lock-wheels".into());
        PathBuf::from("python3")
    } else {
        let python = ensure_venv(&root.join("target").join("spec-venv"))?;
        let pinned: Vec<String> = PACKAGES
            .iter()
            .map(|p| format!("{p}=={SDK_VERSION}"))
            .collect();
        let mut install = vec![
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ];
        install.extend(pinned.iter().map(String::as_str));
        run_cmd(&python, &install)?;

        let wheel_dir = root.join("target").join("spec-wheels").join(SDK_VERSION);
        fs::create_dir_all(&wheel_dir)
            .map_err(|e| format!("cannot create {}: {e}", wheel_dir.display()))?;
        let wheel_dir_s = path_str(&wheel_dir)?;
        let mut download = vec![
            "-m",
            "pip",
            "download",
            "--quiet",
            "--disable-pip-version-check",
            "--no-deps",
            "--only-binary=:all:",
            "-d",
            wheel_dir_s.as_str(),
        ];
        download.extend(pinned.iter().map(String::as_str));
        run_cmd(&python, &download)?;

        let hashes = hash_wheels(&wheel_dir)?;
        if same_version {
            verify_against_lock(
                old_lock.as_ref().expect("same_version implies a lock"),
                &hashes,
            )?;
            println!("wheel hashes match {}", lock_path.display());
        }
        script_args.push("--wheel-dir".into());
        script_args.push(wheel_dir_s);
        python
    };

    let mut cmd_args: Vec<&str> = Vec::new();
    let script_s = path_str(&script)?;
    cmd_args.push(&script_s);
    cmd_args.extend(script_args.iter().map(String::as_str));
    run_cmd(&python, &cmd_args)?;

    // The packages know nothing of retry safety or paging: put the hand review back.
    crate::overlay::apply(&root, true)?;
    check_written_files(&root, &lock_path)
}

/// Creates the venv if it does not have a Python interpreter yet; returns that interpreter.
fn ensure_venv(venv: &Path) -> Result<PathBuf, String> {
    let python = if cfg!(windows) {
        venv.join("Scripts").join("python.exe")
    } else {
        venv.join("bin").join("python")
    };
    if !python.exists() {
        run_cmd(Path::new("python3"), &["-m", "venv", &path_str(venv)?])?;
    }
    Ok(python)
}

fn run_cmd(program: &Path, args: &[&str]) -> Result<(), String> {
    println!("+ {} {}", program.display(), args.join(" "));
    let status = Command::new(program)
        .args(args)
        .status()
        .map_err(|e| format!("cannot run {}: {e}", program.display()))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "{} {} failed ({status})",
            program.display(),
            args.join(" ")
        ))
    }
}

fn path_str(p: &Path) -> Result<String, String> {
    p.to_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("path is not UTF-8: {}", p.display()))
}

fn read_lock(path: &Path) -> Result<Option<Value>, String> {
    if !path.exists() {
        return Ok(None);
    }
    let text =
        fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| format!("{} is not valid JSON: {e}", path.display()))
}

/// (package, wheel file name, sha256) for each pinned package, from the download folder.
fn hash_wheels(dir: &Path) -> Result<Vec<(String, String, String)>, String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .map_err(|e| format!("cannot list {}: {e}", dir.display()))?
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    names.sort();
    let mut out = Vec::new();
    for pkg in PACKAGES {
        let prefix = format!("{pkg}-{SDK_VERSION}-");
        let found: Vec<&String> = names
            .iter()
            .filter(|n| n.starts_with(&prefix) && n.ends_with(".whl"))
            .collect();
        let [wheel] = found.as_slice() else {
            return Err(format!(
                "expected exactly one {prefix}*.whl in {}, found {found:?}",
                dir.display()
            ));
        };
        let digest = sha256_file(&dir.join(wheel))?;
        out.push((pkg.to_string(), (*wheel).clone(), digest));
    }
    Ok(out)
}

fn verify_against_lock(lock: &Value, hashes: &[(String, String, String)]) -> Result<(), String> {
    let packages = lock
        .get("packages")
        .and_then(Value::as_array)
        .ok_or("spec.lock.json has no `packages` array")?;
    for (pkg, wheel, digest) in hashes {
        let entry = packages
            .iter()
            .find(|p| p.get("name").and_then(Value::as_str) == Some(pkg.as_str()))
            .ok_or_else(|| format!("spec.lock.json does not list {pkg}"))?;
        let locked_wheel = entry.get("wheel").and_then(Value::as_str).unwrap_or("");
        let locked_sha = entry.get("sha256").and_then(Value::as_str).unwrap_or("");
        if locked_wheel != wheel || locked_sha != digest {
            return Err(format!(
                "wheel hash mismatch for {pkg} {SDK_VERSION}: downloaded {wheel} sha256 {digest}, \
                 spec.lock.json has {locked_wheel} sha256 {locked_sha}. The published package \
                 changed or the download was tampered with; investigate before re-importing."
            ));
        }
    }
    Ok(())
}

/// The lock file written by the script must describe the files it wrote.
fn check_written_files(root: &Path, lock_path: &Path) -> Result<(), String> {
    let lock = read_lock(lock_path)?.ok_or("the import script wrote no spec.lock.json")?;
    let files = lock
        .get("files")
        .and_then(Value::as_object)
        .ok_or("spec.lock.json has no `files` object")?;
    for (rel, want) in files {
        let got = sha256_file(&root.join(rel))?;
        if Some(got.as_str()) != want.as_str() {
            return Err(format!("{rel}: sha256 {got} differs from spec.lock.json"));
        }
    }
    println!("spec.lock.json matches {} spec files", files.len());
    Ok(())
}

fn sha256_file(path: &Path) -> Result<String, String> {
    let mut f = fs::File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    let mut data = Vec::new();
    f.read_to_end(&mut data)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Ok(sha256_hex(&data))
}

/// SHA-256 (FIPS 180-4), hex-encoded. Small inputs only (whole file in memory).
pub fn sha256_hex(data: &[u8]) -> String {
    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];
    let mut h: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    let mut msg = data.to_vec();
    let bit_len = (data.len() as u64).wrapping_mul(8);
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&bit_len.to_be_bytes());
    let mut w = [0u32; 64];
    for block in msg.chunks_exact(64) {
        for (i, word) in block.chunks_exact(4).enumerate() {
            w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16]
                .wrapping_add(s0)
                .wrapping_add(w[i - 7])
                .wrapping_add(s1);
        }
        let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut hh] = h;
        for i in 0..64 {
            let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
            let ch = (e & f) ^ (!e & g);
            let t1 = hh
                .wrapping_add(s1)
                .wrapping_add(ch)
                .wrapping_add(K[i])
                .wrapping_add(w[i]);
            let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
            let maj = (a & b) ^ (a & c) ^ (b & c);
            let t2 = s0.wrapping_add(maj);
            hh = g;
            g = f;
            f = e;
            e = d.wrapping_add(t1);
            d = c;
            c = b;
            b = a;
            a = t1.wrapping_add(t2);
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e, f, g, hh]) {
            *x = x.wrapping_add(y);
        }
    }
    h.iter().map(|x| format!("{x:08x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::sha256_hex;

    #[test]
    fn sha256_known_vectors() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
