//! Running the real `modt` binary from tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub(crate) mod acked_writes;
pub(crate) mod bench;
pub(crate) mod replicas;

use std::process::{Child, Command, Stdio};

/// A `modt` child process, killed on drop.
pub(crate) struct ModtProcess {
    pub(crate) child: Child,
}

/// Starts `modt` with `args`, logs to stderr of the test.
pub(crate) fn spawn(args: &[&str]) -> ModtProcess {
    spawn_in(None, args)
}

/// [`spawn`] with `MODT_DATA_DIR` set to `data_dir` (see [`run_in`]).
pub(crate) fn spawn_in(data_dir: Option<&std::path::Path>, args: &[&str]) -> ModtProcess {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_modt"));
    match data_dir {
        Some(d) => cmd.env("MODT_DATA_DIR", d),
        None => cmd.env_remove("MODT_DATA_DIR"),
    };
    let child = cmd
        .args(args)
        .env_remove("MODT_BROKER_HOST")
        .env_remove("MODT_BROKER_PORT")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn modt");
    ModtProcess { child }
}

/// Starts `modt unit NAME` as `unit_id` against the broker on `port`, keeping its files in
/// `data_dir`, with `extra` flags after those.
pub(crate) fn spawn_unit(
    name: &str,
    unit_id: &str,
    port: &str,
    data_dir: &std::path::Path,
    extra: &[&str],
) -> ModtProcess {
    let data = data_dir.to_str().expect("UTF-8 data dir");
    let mut args = vec![
        "unit",
        name,
        "--unit-id",
        unit_id,
        "--broker-port",
        port,
        "--data-dir",
        data,
    ];
    args.extend_from_slice(extra);
    spawn(&args)
}

/// Runs `modt` with `args` to completion and asserts it succeeded (showing its stderr if not).
pub(crate) fn run_ok(args: &[&str]) -> std::process::Output {
    let out = run(args);
    assert!(
        out.status.success(),
        "modt {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Runs `modt` with `args` and extra environment variables; asserts it succeeded.
pub(crate) fn run_ok_with_env(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let out = Command::new(env!("CARGO_BIN_EXE_modt"))
        .args(args)
        .envs(env.iter().copied())
        .output()
        .expect("run modt");
    assert!(
        out.status.success(),
        "modt {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Runs `modt` with `args` to completion.
pub(crate) fn run(args: &[&str]) -> std::process::Output {
    run_in(None, args)
}

/// Runs `modt` with `args` to completion, with `MODT_DATA_DIR` set to `data_dir` (where
/// `modt up` keeps the credentials the command-line tools log in with).
pub(crate) fn run_in(data_dir: Option<&std::path::Path>, args: &[&str]) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_modt"));
    cmd.args(args);
    match data_dir {
        Some(d) => cmd.env("MODT_DATA_DIR", d),
        None => cmd.env_remove("MODT_DATA_DIR"),
    };
    cmd.output().expect("run modt")
}

/// [`run_in`], asserting success.
pub(crate) fn run_ok_in(data_dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    let out = run_in(Some(data_dir), args);
    assert!(
        out.status.success(),
        "modt {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

impl ModtProcess {
    /// Sends a signal (`TERM`, `KILL`, `INT`).
    pub(crate) fn signal(&self, sig: &str) {
        let status = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits for the process to exit, up to `secs` seconds.
    pub(crate) fn wait_exit(&mut self, secs: u64) -> std::process::ExitStatus {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
        loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                return s;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "modt did not exit within {secs} s"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    /// Everything it wrote to stdout and stderr (after it exited).
    pub(crate) fn output(mut self) -> (String, String) {
        use std::io::Read;
        let mut out = String::new();
        let mut err = String::new();
        if let Some(mut s) = self.child.stdout.take() {
            s.read_to_string(&mut out).unwrap();
        }
        if let Some(mut s) = self.child.stderr.take() {
            s.read_to_string(&mut err).unwrap();
        }
        (out, err)
    }
}

impl Drop for ModtProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nothing listens on right now.
pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until something accepts TCP connections on 127.0.0.1:`port`.
pub(crate) fn wait_for_port(port: u16) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "nothing listens on {port}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// `modt up` on a free broker port and free web ports, with its data in `dir`; returns once
/// it has printed its banner, with the banner's lines.
/// The broker takes any free port (`--broker-port 0`); [`broker_port`] reads the one it got.
pub(crate) fn up_with_web(dir: &std::path::Path) -> (ModtProcess, Vec<String>) {
    up_with_web_args(dir, &["--broker-port", "0"])
}

/// `modt up` on free web ports with its data in `dir` and `extra` arguments; returns once it
/// has printed its banner, with the banner's lines.
pub(crate) fn up_with_web_args(
    dir: &std::path::Path,
    extra: &[&str],
) -> (ModtProcess, Vec<String>) {
    use std::io::BufRead as _;
    let mut args = vec!["up", "--web-port", "0", "--data-dir", dir.to_str().unwrap()];
    args.extend_from_slice(extra);
    let mut up = spawn(&args);
    let stdout = up.child.stdout.take().unwrap();
    let mut lines = Vec::new();
    let mut reader = std::io::BufReader::new(stdout).lines();
    for line in reader.by_ref() {
        let line = line.unwrap();
        let done = line.starts_with("Press Ctrl-C");
        lines.push(line);
        if done {
            // Keep reading, so `modt up`'s last lines do not hit a closed pipe.
            std::thread::spawn(move || reader.for_each(drop));
            return (up, lines);
        }
    }
    panic!("modt up ended before its banner: {lines:?}");
}

/// The URL on the banner line starting with `label` (e.g. `open`).
pub(crate) fn banner_url(lines: &[String], label: &str) -> String {
    lines
        .iter()
        .find(|l| l.trim_start().starts_with(label))
        .and_then(|l| l.split_whitespace().find(|w| w.starts_with("http")))
        .unwrap_or_else(|| panic!("no {label} URL in {lines:?}"))
        .to_string()
}

/// The web URL on the banner line of unit `name` (`unit     monitor  serves …  web URL`).
pub(crate) fn unit_url(lines: &[String], name: &str) -> String {
    lines
        .iter()
        .find(|l| {
            let mut words = l.split_whitespace();
            words.next() == Some("unit") && words.next() == Some(name)
        })
        .and_then(|l| l.split_whitespace().find(|w| w.starts_with("http")))
        .unwrap_or_else(|| panic!("no web URL for unit {name} in {lines:?}"))
        .to_string()
}

/// The embedded broker's port, from the banner line `broker   mqtt://127.0.0.1:PORT`.
pub(crate) fn broker_port(lines: &[String]) -> String {
    lines
        .iter()
        .find_map(|l| l.trim_start().strip_prefix("broker"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|url| url.rsplit(':').next())
        .unwrap_or_else(|| panic!("no broker line in {lines:?}"))
        .to_string()
}

/// The workspace root (for `e2e/` and `target/`).
pub(crate) fn workspace_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// Why browser tests cannot run here, if they cannot: Chromium, Node.js and
/// `e2e/node_modules` (from `npm ci --prefix e2e`) are needed.
pub(crate) fn browser_missing() -> Option<String> {
    let chromium = std::env::var("MODT_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !std::path::Path::new(&chromium).exists() {
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

/// Runs browser script `e2e/{script}` with `env`; screenshots go to
/// `target/e2e-screenshots/{shots}`. Skips (printing why) when the browser is missing,
/// unless `MODT_REQUIRE_BROWSER=1`. Returns the script's stdout, `None` when skipped.
pub(crate) fn run_browser_script(
    script: &str,
    shots: &str,
    env: &[(&str, &str)],
) -> Option<String> {
    if let Some(why) = browser_missing() {
        assert!(
            std::env::var("MODT_REQUIRE_BROWSER").as_deref() != Ok("1"),
            "MODT_REQUIRE_BROWSER=1 but {why}"
        );
        eprintln!("skipping browser test {script}: {why}");
        return None;
    }
    let root = workspace_root();
    let shots_dir = root.join("target/e2e-screenshots").join(shots);
    let out = Command::new("node")
        .arg(root.join("e2e").join(script))
        .envs(env.iter().copied())
        .env("MODT_SCREENSHOTS", &shots_dir)
        .output()
        .expect("run node");
    assert!(
        out.status.success(),
        "browser script {script} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}
