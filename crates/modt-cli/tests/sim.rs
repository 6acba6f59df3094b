//! `modt sim devices` end to end: what it says it sent is what a subscriber receives, every
//! kind of message among it; it logs in as `modt up`'s `devices` account, and as an account
//! the broker refuses it stops with an error instead of counting dropped messages; and `modt
//! up --demo-devices` feeds the ingest unit's demo connection on the enforced embedded
//! broker, so device events come out of it.

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use modt::protocol::topics;
use modt::{MqttVersion, QoS};
use modt_testkit::TestBroker;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_the_simulator_counts_is_what_arrives_every_kind_included() {
    let broker = TestBroker::embedded();
    let client = modt::Client::connect(broker.client_config("watch", MqttVersion::V5))
        .await
        .unwrap();
    let mut devices = client
        .subscribe(&topics::ALL_DEVICE_MESSAGES, QoS::AtLeastOnce)
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let port = broker.port().to_string();
    let args = [
        "sim",
        "devices",
        "--broker-port",
        &port,
        "--count",
        "80",
        "--rate",
        "0",
        "--malformed",
        "0.3",
        "--qos",
        "1",
        "--seed",
        "7",
        "--json",
    ];
    let owned: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let out = tokio::task::spawn_blocking({
        let dir = dir.path().to_owned();
        move || {
            let args: Vec<&str> = owned.iter().map(String::as_str).collect();
            support::run_ok_in(&dir, &args)
        }
    })
    .await
    .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["sent"], 80, "{report}");
    assert_eq!(report["seed"], 7);
    let kinds = report["per_kind"].as_object().unwrap();
    for kind in [
        "status",
        "readings",
        "not_json",
        "schema",
        "mapping",
        "topic",
        "too_large",
    ] {
        assert!(kinds[kind].as_u64().unwrap() > 0, "{kind}: {report}");
    }

    let mut got = BTreeMap::<&str, u64>::new();
    for _ in 0..80 {
        let msg = tokio::time::timeout(Duration::from_secs(10), devices.recv())
            .await
            .unwrap_or_else(|_| panic!("every message arrives: {got:?}"))
            .unwrap();
        let kind = match serde_json::from_slice::<Value>(&msg.payload) {
            Err(_) => "not_json",
            Ok(_) if msg.payload.len() > 64 * 1024 => "too_large",
            Ok(_) if msg.topic.as_str().split('/').any(|l| l.len() > 64) => "topic",
            Ok(_) => "json",
        };
        *got.entry(kind).or_default() += 1;
    }
    for kind in ["not_json", "too_large", "topic"] {
        assert_eq!(
            got.get(kind).copied(),
            kinds[kind].as_u64(),
            "{kind}: {got:?}"
        );
    }
    client.shutdown().await;
}

#[test]
fn modt_up_demo_devices_feed_the_ingest_units_demo_connection() {
    let dir = tempfile::tempdir().unwrap();
    let (mut up, lines) =
        support::up_with_web_args(dir.path(), &["--broker-port", "0", "--demo-devices"]);
    assert!(
        lines.iter().any(|l| l.trim_start().starts_with("devices")),
        "the banner says the devices are simulated: {lines:?}"
    );
    let port = support::broker_port(&lines);
    // The cli account reads; the device events come from the ingest unit, which read the
    // simulated devices through its demo connection.
    let out = support::run_ok_in(
        dir.path(),
        &[
            "sub",
            "modt/ingest/devices/changed/+",
            "--broker-port",
            &port,
            "-n",
            "1",
            "--timeout",
            "30s",
            "--jsonl",
        ],
    );
    let event: Value = serde_json::from_slice(&out.stdout).unwrap();
    // A message carries a stored batch's events of one site.
    let first = &event["payload"]["events"][0];
    assert!(
        first["type"] == "readings" || first["type"] == "gateway",
        "{event}"
    );
    up.signal("INT");
    assert!(up.wait_exit(20).success());
}

#[test]
fn modt_sim_devices_against_modt_up_logs_in_as_the_devices_account() {
    let dir = tempfile::tempdir().unwrap();
    let (mut up, lines) = support::up_with_web_args(dir.path(), &["--broker-port", "0"]);
    let port = support::broker_port(&lines);
    // No credentials given: the simulator takes the `devices` account from the data
    // directory. As `cli` its device messages were dropped by the broker, unseen.
    let mut sim = support::spawn_in(
        Some(dir.path()),
        &["sim", "devices", "--broker-port", &port, "--rate", "20"],
    );
    let out = support::run_ok_in(
        dir.path(),
        &[
            "sub",
            "+/gateway/#",
            "--broker-port",
            &port,
            "-n",
            "1",
            "--timeout",
            "30s",
            "--jsonl",
        ],
    );
    let msg: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        msg["topic"].as_str().unwrap().contains("/gateway/"),
        "{msg}"
    );
    sim.signal("INT");
    assert!(sim.wait_exit(20).success());

    // As `cli`, which may not publish device messages, the run stops at its first message
    // and says so, rather than counting messages the broker dropped unseen.
    let cli_password = dir.path().join("credentials/cli.password");
    let out = support::run_in(
        Some(dir.path()),
        &[
            "sim",
            "devices",
            "--broker-port",
            &port,
            "-n",
            "5",
            "--rate",
            "0",
            "--broker-username",
            "cli",
            "--broker-password-file",
            cli_password.to_str().unwrap(),
        ],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains("did not pass on the first device message") && err.contains("\"cli\""),
        "{err}"
    );
    assert!(out.stdout.is_empty(), "no report of messages nobody got");
    up.signal("INT");
    assert!(up.wait_exit(20).success());
}
