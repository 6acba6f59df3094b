//! The command line as a newcomer meets it (issue "the first hour", CLI items 1, 3, 4, 6):
//! `modt monitor` works on `modt up` as the README shows it; the common flags work after the
//! subcommand; no broker, or no credentials, fail at once saying what to do; logs carry no
//! colour codes when stderr is not a terminal, and an error says its cause once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::io::BufRead as _;

#[test]
fn monitor_and_client_commands_work_on_modt_up_with_flags_anywhere() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let (_up, banner) = support::up_with_web(dir.path());
    let port = support::broker_port(&banner);
    // As the README shows it: everything (`#`), as the local `cli` account.
    let mut monitor = support::spawn(&[
        "monitor",
        "--no-color",
        "--compact",
        "--data-dir",
        d,
        "--broker-port",
        &port,
    ]);
    let stdout = monitor.child.stdout.take().unwrap();
    let mut seen = Vec::new();
    for line in std::io::BufReader::new(stdout).lines().take(200) {
        let line = line.unwrap();
        let presence = line.contains("modt/units/");
        seen.push(line);
        if presence {
            break;
        }
    }
    assert!(
        seen.iter().any(|l| l.contains("modt/units/")),
        "monitor shows the retained presence of the units: {seen:?}"
    );
    monitor.signal("TERM");
    let (_, stderr) = monitor.output();
    assert!(!stderr.contains("refused"), "{stderr}");

    // The common flags also after the subcommand (`--data-dir`, `--broker-port`), and a user
    // name that is an account is its id: the viewer shows alice's keys under her id.
    support::run_ok_with_env(
        &["users", "add", "alice", "--data-dir", d],
        &[("MODT_USER_PASSWORD", "alice's password")],
    );
    let state = |args: &[&str]| {
        let mut all = vec!["state"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--data-dir", d, "--broker-port", &port]);
        support::run(&all)
    };
    let set = state(&["set", "alice", "theme", "dark"]);
    let said = String::from_utf8_lossy(&set.stderr).to_string();
    assert!(set.status.success(), "{said}");
    let id = said
        .trim()
        .strip_prefix("user alice is ")
        .unwrap_or_else(|| panic!("says whose id: {said}"))
        .to_string();
    let got = state(&["get", &id, "theme"]);
    assert!(
        String::from_utf8_lossy(&got.stdout).contains("dark"),
        "stored under the id"
    );
    // A name that is no account is refused with a hint, unless asked for.
    let bob = state(&["set", "bob", "theme", "light"]);
    assert!(!bob.status.success());
    let said = String::from_utf8_lossy(&bob.stderr);
    assert!(
        said.contains("modt users list") && said.contains("--any-user"),
        "{said}"
    );
    assert!(state(&["set", "bob", "theme", "light", "--any-user"])
        .status
        .success());

    // No credentials where they were looked for: said, with the path.
    let empty = tempfile::tempdir().unwrap();
    let e = empty.path().to_str().unwrap();
    let out = support::run(&["req", "modt/echo", "--data-dir", e, "--broker-port", &port]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("{e}/credentials/cli.password")),
        "{stderr}"
    );
}

#[test]
fn no_broker_fails_at_once_with_the_address_and_what_to_start() {
    let port = support::free_port().to_string();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    for cmd in [
        vec!["req", "modt/echo", "--broker-port", &port, "--data-dir", d],
        vec!["monitor", "--broker-port", &port, "--data-dir", d],
        vec![
            "state",
            "get",
            "u",
            "k",
            "--broker-port",
            &port,
            "--data-dir",
            d,
        ],
    ] {
        let out = support::run(&cmd);
        assert!(!out.status.success(), "{cmd:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(&format!("127.0.0.1:{port}")), "{stderr}");
        assert!(stderr.contains("nothing listens there"), "{stderr}");
        assert!(stderr.contains("modt up"), "{stderr}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_say_their_cause_once_and_logs_have_no_colour_codes_off_a_terminal() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let broker = modt_testkit::TestBroker::embedded();
    let out = support::run(&[
        "unit",
        "viewer",
        "--http-addr",
        &addr,
        "--broker-port",
        &broker.port().to_string(),
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.matches("Address already in use").count(),
        1,
        "{stderr}"
    );

    // A unit's log lines, with stderr a pipe: plain text.
    let port = broker.port().to_string();
    let unit_id = modt_testkit::client_id("echo-plain");
    let echo = support::spawn(&[
        "unit",
        "echo",
        "--unit-id",
        &unit_id,
        "--broker-port",
        &port,
    ]);
    let client = modt::Client::connect(broker.client_config("watch", modt::MqttVersion::V5))
        .await
        .unwrap();
    modt_testkit::wait_online(&client, &unit_id).await;
    echo.signal("TERM");
    let (_, stderr) = echo.output();
    assert!(stderr.contains("unit online"), "{stderr}");
    assert!(!stderr.contains('\u{1b}'), "no ANSI escapes: {stderr:?}");
    client.shutdown().await;
}

/// A unit without a broker account in the policy (a new unit registered but not yet given
/// one): `modt up` refuses before its banner, naming the unit and the way out.
#[test]
fn up_refuses_a_unit_the_policy_has_no_account_for() {
    let policy =
        std::fs::read_to_string(support::workspace_root().join("config/broker-policy.toml"))
            .unwrap();
    let echo = "[accounts.echo]\ndescription = \"the echo unit\"\nsubscribe = [\"modt/echo\"]\npublish = [\"modt/echo/reply\"]\n";
    assert!(
        policy.contains(echo),
        "the shipped policy's echo account changed"
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("policy.toml");
    std::fs::write(&file, policy.replace(echo, "")).unwrap();
    let port = support::free_port().to_string();
    let out = support::run(&[
        "up",
        "--data-dir",
        dir.path().to_str().unwrap(),
        "--broker-port",
        &port,
        "--web-port",
        "0",
        "--broker-policy",
        file.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stdout.contains("MoDT is starting"), "no banner: {stdout}");
    assert!(
        stderr.contains("no account for the echo unit") && stderr.contains("--broker-policy"),
        "{stderr}"
    );
}
