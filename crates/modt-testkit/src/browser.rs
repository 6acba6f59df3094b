//! Browser tests: whether Debian's Chromium, Node.js and `e2e/node_modules` (from `npm ci
//! --prefix e2e`) are here, and running one `e2e/*.mjs` script (playwright-core) with the
//! system's URLs in its environment. Without them a test skips, saying why — unless
//! `MODT_REQUIRE_BROWSER=1` (CI), where it fails.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace root (for `e2e/` and `target/`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the workspace root")
}

/// Why browser tests cannot run here, if they cannot.
pub fn missing() -> Option<String> {
    let chromium = std::env::var("MODT_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !Path::new(&chromium).exists() {
        return Some(format!(
            "no Chromium at {chromium} (apt-get install chromium)"
        ));
    }
    if Command::new("node").arg("--version").output().is_err() {
        return Some("no node on PATH".into());
    }
    let pw = workspace_root().join("e2e/node_modules/playwright-core");
    if !pw.exists() {
        return Some(format!("{} is missing (npm ci --prefix e2e)", pw.display()));
    }
    None
}

/// Whether a browser test should run: `false` (and why, printed) when the browser is
/// missing; panics instead when `MODT_REQUIRE_BROWSER=1`.
pub fn available(test: &str) -> bool {
    match missing() {
        None => true,
        Some(why) => {
            assert!(
                std::env::var("MODT_REQUIRE_BROWSER").as_deref() != Ok("1"),
                "MODT_REQUIRE_BROWSER=1 but {why}"
            );
            eprintln!("skipping {test}: {why}");
            false
        }
    }
}

/// The directory a script's screenshots go to: `target/e2e-screenshots/{shots}`.
pub fn screenshots(shots: &str) -> PathBuf {
    workspace_root().join("target/e2e-screenshots").join(shots)
}

/// Runs `e2e/{script}` with `env` and `MODT_SCREENSHOTS` set to [`screenshots`]`(shots)`;
/// panics with its output when it fails, else returns its stdout. Blocking: call it from
/// `spawn_blocking` while the system under test runs on the test's runtime.
pub fn run_script(script: &str, shots: &str, env: &[(String, String)]) -> String {
    let out = Command::new("node")
        .arg(workspace_root().join("e2e").join(script))
        .envs(env.iter().map(|(k, v)| (k, v)))
        .env("MODT_SCREENSHOTS", screenshots(shots))
        .output()
        .expect("run node");
    assert!(
        out.status.success(),
        "browser script {script} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
