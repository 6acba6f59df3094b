//! Running the real `modt` binary from tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::process::{Child, Command, Stdio};

/// A `modt` child process, killed on drop.
pub(crate) struct ModtProcess {
    pub(crate) child: Child,
}

/// Starts `modt` with `args`, logs to stderr of the test.
pub(crate) fn spawn(args: &[&str]) -> ModtProcess {
    let child = Command::new(env!("CARGO_BIN_EXE_modt"))
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

/// Runs `modt` with `args` to completion.
pub(crate) fn run(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_modt"))
        .args(args)
        .output()
        .expect("run modt")
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
