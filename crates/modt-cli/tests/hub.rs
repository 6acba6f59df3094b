//! The hub through the real binary: `modt unit hub --hub-defaults …` serves what `modt hub
//! get|post|put` asks, `modt up` runs it, a bad defaults file stops it at start with the file's
//! name, and a missing hub is a 408 with a non-zero exit.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use modt::{Client, MqttVersion};
use modt_testkit::{wait_online, wait_status, TestBroker};
use serde_json::{json, Value};

fn answer(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn a_bad_defaults_file_stops_the_hub_at_start_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("defaults.yaml");
    std::fs::write(&bad, "color: [red\n").unwrap();
    let out = support::run(&[
        "unit",
        "hub",
        "--data-dir",
        dir.path().to_str().unwrap(),
        "--hub-defaults",
        bad.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(bad.to_str().unwrap()), "{stderr}");
    assert!(stderr.contains("--hub-defaults"), "{stderr}");
    assert!(stderr.contains("not a YAML map"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn modt_hub_commands_against_modt_unit_hub() {
    let broker = TestBroker::embedded();
    let p = broker.port().to_string();
    let dir = tempfile::tempdir().unwrap();
    let defaults = dir.path().join("defaults.json");
    std::fs::write(&defaults, r#"{"color": "red", "retries": 3}"#).unwrap();
    let unit_id = modt_testkit::client_id("hub-cli");
    let mut hub = support::spawn_unit(
        "hub",
        &unit_id,
        &p,
        dir.path(),
        &["--hub-defaults", defaults.to_str().unwrap()],
    );
    let watcher = Client::connect(broker.client_config("watch", MqttVersion::V5))
        .await
        .unwrap();
    wait_online(&watcher, &unit_id).await;

    let run = |args: &[&str]| {
        let mut all = vec!["hub", "--broker-port", &p];
        all.extend_from_slice(args);
        support::run_ok(&all)
    };
    let a = answer(&run(&["get", "color"]));
    assert_eq!(
        (a["status"].clone(), a["value"].clone()),
        (json!(203), json!("red"))
    );
    let a = answer(&run(&["post", "theme", "dark"]));
    assert_eq!(
        (a["status"].clone(), a["value"].clone()),
        (json!(200), json!("dark"))
    );
    let a = answer(&run(&["--as", "monitor", "get", "theme"]));
    assert_eq!(
        (a["status"].clone(), a["value"].clone()),
        (json!(200), json!("dark"))
    );
    let a = answer(&run(&["put", "retries", "5"]));
    assert_eq!(
        (a["status"].clone(), a["value"].clone()),
        (json!(200), json!(5))
    );
    let a = answer(&run(&["put", "ghost", "1"]));
    assert_eq!(
        (a["status"].clone(), a["value"].clone()),
        (json!(404), Value::Null)
    );
    let a = answer(&run(&["post", "n", "5", "--string"]));
    assert_eq!(a["value"], json!("5"));

    hub.signal("TERM");
    assert!(hub.wait_exit(20).success());
    wait_status(&watcher, &unit_id, "offline").await;
    let out = support::run(&[
        "hub",
        "--broker-port",
        &p,
        "--timeout",
        "300ms",
        "get",
        "theme",
    ]);
    assert!(!out.status.success());
    assert_eq!(answer(&out)["status"], json!(408));
    assert!(String::from_utf8_lossy(&out.stderr).contains("did not answer"));

    // Restarted on the same data directory, it still has the live values.
    let mut hub = support::spawn_unit("hub", &unit_id, &p, dir.path(), &[]);
    wait_online(&watcher, &unit_id).await;
    let a = answer(&run(&["get", "theme"]));
    assert_eq!(
        (a["status"].clone(), a["value"].clone()),
        (json!(200), json!("dark"))
    );
    hub.signal("TERM");
    assert!(hub.wait_exit(20).success());
    watcher.shutdown().await;
}

#[test]
fn up_runs_the_hub() {
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
    let status = support::run_ok_in(
        dir.path(),
        &[
            "sub",
            "--broker-port",
            &p,
            "modt/units/hub/status",
            "-n",
            "1",
            "--timeout",
            "15s",
        ],
    );
    assert!(String::from_utf8_lossy(&status.stdout).contains("online"));
    let a = answer(&support::run_ok_in(
        dir.path(),
        &["hub", "--broker-port", &p, "post", "k", "[1, 2]"],
    ));
    assert_eq!(a["value"], json!([1, 2]));
    up.signal("INT");
    assert!(up.wait_exit(20).success());
    let (stdout, _) = up.output();
    assert!(stdout.contains("hub"), "{stdout}");
    assert!(dir.path().join("modt_hub.db").exists());
}
