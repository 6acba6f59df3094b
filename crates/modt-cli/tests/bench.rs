//! `modt bench`: the benchmarks run end to end on small numbers, verify what they measured,
//! and refuse to report timings they cannot trust.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use modt::{Client, MqttVersion};
use modt_testkit::{client_id, wait_online, TestBroker};

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Fails unless `text` contains every one of `expected`.
fn assert_mentions(text: &str, expected: &[&str]) {
    for e in expected {
        assert!(text.contains(e), "missing {e:?} in:\n{text}");
    }
}

#[test]
fn the_state_benchmark_measures_and_verifies_on_the_embedded_broker() {
    let out = support::run_ok(&[
        "bench",
        "state",
        "--embedded",
        "--gets",
        "50",
        "--sets",
        "2000",
        "--acked",
        "200",
        "--log",
        "warn",
    ]);
    let text = stdout(&out);
    assert_mentions(
        &text,
        &[
            "bare broker echo (1 trip)",
            "bare relay (2 trips)",
            "legacy get (2 trips)",
            "get / bare relay",
            "pipelined legacy sets: 2000 in",
            "read back s1999 ok, 2000 keys listed",
            "acked sets (window 256): 200 in",
        ],
    );
}

#[test]
fn the_rtt_benchmark_runs() {
    let out = support::run_ok(&["bench", "rtt", "--embedded", "-n", "50", "--log", "warn"]);
    let text = stdout(&out);
    assert_mentions(
        &text,
        &[
            "broker: the embedded broker",
            "broker Nagle probe: Nagle off",
            "bare relay (2 trips)",
            "ratio (unit / bare relay)",
        ],
    );
}

/// On Mosquitto as users run it (no config file) both benchmarks name the broker, detect its
/// Nagle algorithm, and say what a config file sets; the round trips do not wait on it.
#[test]
fn the_benchmarks_say_which_broker_they_measured() {
    let Some(broker) = TestBroker::mosquitto_stock() else {
        return;
    };
    let port = broker.port().to_string();
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("mosquitto.conf");
    std::fs::write(&conf, "listener 1883\nallow_anonymous true\n").unwrap();
    let conf = conf.to_str().unwrap();
    let out = support::run_ok(&[
        "bench",
        "rtt",
        "--broker-port",
        &port,
        "-n",
        "50",
        "--broker-config",
        conf,
        "--log",
        "warn",
    ]);
    let text = stdout(&out);
    assert_mentions(
        &text,
        &[
            "broker: mosquitto version",
            "broker Nagle probe: Nagle ON",
            "set_tcp_nodelay false (default), max_queued_messages 1000 (default)",
            "bare relay (2 trips)",
        ],
    );
    let out = support::run_ok(&[
        "bench",
        "state",
        "--broker-port",
        &port,
        "--mqtt-version",
        "3.1.1",
        "--paho-style",
        "--gets",
        "30",
        "--sets",
        "100",
        "--acked",
        "0",
        "--log",
        "warn",
    ]);
    let text = stdout(&out);
    assert!(text.contains("legacy get, paho-style"), "{text}");
    assert!(text.contains("Nagle ON"), "{text}");
}

/// Against a unit of its own (`--external-state`) the benchmark measures it; with a second
/// unit answering too (its in-process one, in a `$share` group of its own), every get is
/// answered twice and it refuses.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_state_benchmark_uses_an_external_unit_and_refuses_two() {
    modt_testkit::init_tracing();
    let broker = TestBroker::embedded();
    let port = broker.port().to_string();
    let dir = tempfile::tempdir().unwrap();
    let unit_id = client_id("state-bench");
    let _unit = support::spawn_unit("state", &unit_id, &port, dir.path(), &[]);
    let client = Client::connect(broker.client_config("watch", MqttVersion::V5))
        .await
        .unwrap();
    wait_online(&client, &unit_id).await;

    let common = [
        "bench",
        "state",
        "--broker-port",
        port.as_str(),
        "--log",
        "warn",
    ];
    let small = ["--gets", "30", "--sets", "500", "--acked", "0"];
    let external: Vec<&str> = common
        .iter()
        .chain(&small)
        .copied()
        .chain(["--external-state"])
        .collect();
    let out = support::run_ok(&external);
    let text = stdout(&out);
    assert!(text.contains("state unit: external"), "{text}");
    assert!(
        text.contains("read back s499 ok, 500 keys listed"),
        "{text}"
    );

    let both: Vec<&str> = common.iter().chain(&small).copied().collect();
    let out = support::run(&both);
    assert!(
        !out.status.success(),
        "two units answering must fail the benchmark"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("answered more than once") && err.contains("more than one state unit"),
        "{err}"
    );
    client.shutdown().await;
}

#[test]
fn the_footprint_benchmark_measures_every_process_it_starts() {
    if !std::path::Path::new("/proc/self/status").exists() {
        eprintln!("skipped: no /proc on this system");
        return;
    }
    // This binary again as a one-unit binary: its state unit is loaded and watched too.
    let out = support::run_ok(&[
        "bench",
        "footprint",
        "--settle",
        "200ms",
        "--sets",
        "300",
        "--after",
        "2s",
        "--unit-binary",
        concat!("state=", env!("CARGO_BIN_EXE_modt")),
    ]);
    let text = stdout(&out);
    assert_mentions(
        &text,
        &[
            "modt unit echo",
            "modt unit hub",
            "modt unit state",
            "modt up (broker + every unit)",
            "binary ",
        ],
    );
    for line in [
        "\nmodt unit state under load: 300 acknowledged sets and 30 gets",
        "\nmodt unit state after the load:",
    ] {
        assert_eq!(
            text.matches(line).count(),
            2,
            "{line:?} once for each state unit:\n{text}"
        );
    }
    // Every row has a figure: a process that was not there would read 0.0 MB.
    for line in text.lines().filter(|l| l.starts_with("modt ")) {
        assert!(!line.contains(" 0.0 MB"), "{line}");
    }
}

#[test]
fn the_gateway_benchmark_times_http_beside_direct_mqtt() {
    let out = support::run_ok(&[
        "bench",
        "gateway",
        "-n",
        "20",
        "--warmup",
        "5",
        "--load",
        "200",
        "--concurrency",
        "4",
    ]);
    let text = stdout(&out);
    assert_mentions(
        &text,
        &[
            "machine: ",
            "method: embedded broker",
            "GET /todos/{id} via gateway",
            "POST /todos via gateway",
            "same, direct MQTT req/reply",
            "gateway adds at p50",
            "calls/s",
        ],
    );
}

/// `modt bench ingest` on a small plant at a low rate, against a Mosquitto started with its
/// default configuration: the messages come back as device events on the bus and on the
/// devices page's live feed of a user logged in at an identify unit, and the report says how
/// many, how fast.
#[test]
fn the_ingest_benchmark_follows_messages_to_the_devices_page() {
    let Some(probe) = TestBroker::mosquitto() else {
        return; // the test kit printed why (and fails when MODT_REQUIRE_MOSQUITTO is set)
    };
    drop(probe);
    let out = support::run_ok(&[
        "bench",
        "ingest",
        "--sites",
        "1",
        "--gateways",
        "2",
        "--dataloggers",
        "2",
        "--rates",
        "200",
        "--step",
        "2s",
        "--overload",
        "0",
        "--log",
        "warn",
    ]);
    let text = stdout(&out);
    assert_mentions(&text, &["shown", "page p99", "resync", "sustained:"]);
    let row: Vec<&str> = text
        .lines()
        .find(|l| l.split_whitespace().next() == Some("200"))
        .unwrap_or_else(|| panic!("no row for 200 msg/s in:\n{text}"))
        .split_whitespace()
        .collect();
    // offered sent sent/s back back/s p50 ms p99 ms max ms shed lost cpu µs shown p50 ms p99 ms resync
    let (back, shown): (u64, u64) = (row[3].parse().unwrap(), row[15].parse().unwrap());
    assert!(back > 0, "nothing came back:\n{text}");
    assert!(
        shown * 10 >= back * 9 && shown <= back,
        "the page showed {shown} of {back} readings:\n{text}"
    );
}
