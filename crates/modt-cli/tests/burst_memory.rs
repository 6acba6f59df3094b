//! A burst of large legacy writes does not grow the state unit's memory with the burst: the
//! unit holds at most `--max-held-bytes` of received messages and stops reading from the
//! broker past that, so the broker keeps the rest (hardening item 5). Every write is still
//! stored. The real binary on Mosquitto with the generated queue limits; the peak RSS is read
//! from `/proc/PID/status` (`VmHWM`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use modt::protocol::{topics, StateKeysList, StateKeysQuery};
use modt::{Client, MqttVersion, Outgoing, QoS};
use modt_testkit::{client_id, wait_online, TestBroker};

/// Writes in the burst, and the size of each value.
const WRITES: usize = 600;
const VALUE_BYTES: usize = 250 * 1024;
/// The peak RSS the state unit must stay under (docs/benchmarks.md, "Memory under a burst").
const CEILING_MIB: u64 = 128;

fn peak_rss_mib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kib / 1024
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_large_writes_does_not_grow_the_state_unit() {
    modt_testkit::init_tracing();
    let Some(broker) = TestBroker::mosquitto() else {
        return; // the test kit printed why (and fails when MODT_REQUIRE_MOSQUITTO is set)
    };
    let port = broker.port().to_string();
    let dir = tempfile::tempdir().unwrap();
    let unit_id = client_id("state-burst");
    let unit = support::spawn_unit("state", &unit_id, &port, dir.path(), &[]);
    let client = Client::connect(broker.client_config("burst", MqttVersion::V311))
        .await
        .unwrap();
    wait_online(&client, &unit_id).await;
    let idle = peak_rss_mib(unit.child.id());

    let value = "v".repeat(VALUE_BYTES);
    let sends = (0..WRITES).map(|i| {
        let payload =
            serde_json::json!({"user_id": "burst", "key": format!("k{i:04}"), "value": value});
        let mut out = Outgoing::new(topics::STATE_SET, serde_json::to_vec(&payload).unwrap());
        out.qos = QoS::AtLeastOnce;
        let client = client.clone();
        async move { client.publish(out).await.unwrap() }
    });
    futures::future::join_all(sends).await;
    // Sent after the burst by the same client, so it reads after every write committed.
    let query = StateKeysQuery::new("burst");
    let keys: StateKeysList = client
        .request_json(
            &topics::STATE_KEYS_QUERY,
            &query,
            modt::RequestOptions::new().timeout(std::time::Duration::from_secs(120)),
        )
        .await
        .unwrap();
    let peak = peak_rss_mib(unit.child.id());
    eprintln!(
        "burst: {WRITES} legacy sets of {} KiB; state unit peak RSS {peak} MiB (idle {idle} MiB, ceiling {CEILING_MIB} MiB)",
        VALUE_BYTES / 1024
    );
    assert_eq!(keys.keys.len(), WRITES, "every write was stored");
    assert!(
        peak < CEILING_MIB,
        "peak RSS {peak} MiB is over the {CEILING_MIB} MiB ceiling"
    );
    client.shutdown().await;
}
