//! The `modt` binary end to end: `up` runs the system, `req`/`pub`/`sub` talk to it,
//! a taken port gives a clear error, and Ctrl-C stops everything cleanly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use modt_testkit::TestBroker;
use serde_json::Value;

#[test]
fn a_taken_broker_port_gives_a_clear_error() {
    let broker = TestBroker::embedded();
    let port = broker.port().to_string();
    let dir = tempfile::tempdir().unwrap();
    let out = support::run(&[
        "up",
        "--web-port",
        "0",
        "--broker-port",
        &port,
        "--data-dir",
        dir.path().to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("already in use"), "{stderr}");
    assert!(stderr.contains("--broker-port"), "{stderr}");
}

#[test]
fn up_serves_requests_and_stops_on_ctrl_c() {
    let port = support::free_port();
    let p = port.to_string();
    let dir = tempfile::tempdir().unwrap();
    let mut up = support::spawn(&[
        "up",
        "--web-port",
        "0",
        "--broker-port",
        &p,
        "--data-dir",
        dir.path().to_str().unwrap(),
    ]);
    support::wait_for_port(port);

    // `req` retries nothing: wait for the echo unit's retained status first.
    let status = support::run_ok_in(
        dir.path(),
        &[
            "sub",
            "--broker-port",
            &p,
            "modt/units/echo/status",
            "-n",
            "1",
            "--timeout",
            "15s",
        ],
    );
    assert!(String::from_utf8_lossy(&status.stdout).contains("online"));

    let out = support::run_ok_in(
        dir.path(),
        &[
            "req",
            "--broker-port",
            &p,
            "modt/echo",
            r#"{"a": 1, "b": "zwei"}"#,
        ],
    );
    let reply: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(reply["a"], 1);
    assert_eq!(reply["b"], "zwei");

    // MQTT 3.1.1 requester too.
    support::run_ok_in(
        dir.path(),
        &[
            "req",
            "--broker-port",
            &p,
            "--mqtt-version",
            "3.1.1",
            "modt/echo",
            r#"{"v": 3}"#,
        ],
    );

    // pub → sub, as JSON lines.
    let sub = support::spawn_in(
        Some(dir.path()),
        &[
            "sub",
            "--broker-port",
            &p,
            "modt/test/+",
            "-n",
            "1",
            "--jsonl",
            "--timeout",
            "15s",
        ],
    );
    let mut sub = sub;
    // The subscriber is ready once it answers on the bus; retained messages avoid the race.
    support::run_ok_in(
        dir.path(),
        &[
            "pub",
            "--broker-port",
            &p,
            "--retain",
            "modt/test/x",
            r#"{"hello": "bus"}"#,
        ],
    );
    assert!(sub.wait_exit(15).success());
    let (stdout, _) = sub.output();
    let line: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(line["topic"], "modt/test/x");
    assert_eq!(line["payload"]["hello"], "bus");

    // The state unit through `modt state`: plain strings need no quotes, JSON keeps its type.
    // (`u1` is no account here: --any-user, global, uses it as a user id as it is.)
    support::run_ok_in(
        dir.path(),
        &[
            "state",
            "--any-user",
            "--broker-port",
            &p,
            "set",
            "u1",
            "theme",
            "dark",
        ],
    );
    support::run_ok_in(
        dir.path(),
        &[
            "state",
            "--any-user",
            "--broker-port",
            &p,
            "set",
            "u1",
            "n",
            "5",
            "--if-version",
            "0",
        ],
    );
    let out = support::run_in(
        Some(dir.path()),
        &["state", "--any-user", "--broker-port", &p, "all", "u1"],
    );
    let all: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(all["data"], serde_json::json!({"n": 5, "theme": "dark"}));
    let out = support::run_in(
        Some(dir.path()),
        &[
            "state",
            "--any-user",
            "--broker-port",
            &p,
            "set",
            "u1",
            "n",
            "6",
            "--if-version",
            "0",
        ],
    );
    assert!(!out.status.success(), "a stale if_version fails");
    assert!(String::from_utf8_lossy(&out.stderr).contains("conflict"));

    // A request nobody answers fails with a clear message and a non-zero exit.
    let out = support::run_in(
        Some(dir.path()),
        &[
            "req",
            "--broker-port",
            &p,
            "--timeout",
            "200ms",
            "modt/nobody",
            "{}",
        ],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no reply"));

    up.signal("INT");
    let status = up.wait_exit(20);
    assert!(status.success(), "{status:?}");
    let (stdout, _) = up.output();
    assert!(stdout.contains("embedded"), "{stdout}");
    assert!(stdout.contains("MoDT stopped."), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_carry_the_unit_and_request_id() {
    let broker = TestBroker::embedded();
    let p = broker.port().to_string();
    let unit_id = modt_testkit::client_id("echo-log");
    let mut unit = support::spawn(&[
        "--log-format",
        "json",
        "unit",
        "echo",
        "--unit-id",
        &unit_id,
        "--broker-port",
        &p,
    ]);
    let observer = modt::Client::connect(broker.client_config("obs", modt::MqttVersion::V5))
        .await
        .unwrap();
    modt_testkit::wait_online(&observer, &unit_id).await;

    let id = "r".repeat(129);
    let body = format!(r#"{{"request_id": "{id}", "reply_to": "modt/test/replies"}}"#);
    let dlq = modt::protocol::topics::dead_letter(&unit_id).unwrap();
    let mut dead = observer
        .subscribe(&dlq.to_filter(), modt::QoS::AtLeastOnce)
        .await
        .unwrap();
    support::run_ok(&["pub", "--broker-port", &p, "modt/echo", &body]);
    modt_testkit::recv_within(&mut dead, std::time::Duration::from_secs(5), "dead letter").await;

    unit.signal("TERM");
    assert!(unit.wait_exit(15).success());
    let (_, stderr) = unit.output();
    let lines: Vec<Value> = stderr
        .lines()
        .map(|l| {
            serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON log line ({e}): {l}"))
        })
        .collect();
    let refused = lines
        .iter()
        .find(|l| l["message"] == "message refused")
        .unwrap_or_else(|| panic!("no 'message refused' line in {stderr}"));
    assert_eq!(refused["unit"], unit_id.as_str());
    assert_eq!(refused["request_id"], "r".repeat(128));
    assert_eq!(refused["topic"], "modt/echo");
    assert_eq!(refused["code"], "bad_request");
    observer.shutdown().await;
}
