//! An ack means durable: the state unit (the real binary) is killed with SIGKILL right after
//! its last ack; restarted on the same data directory, it serves every acknowledged write.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use modt::protocol::{topics, StateAck, StateGet, StateSet, StateValue, ValueStatus};
use modt::{Client, MqttVersion};
use modt_testkit::{client_id, wait_online, TestBroker};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_a_kill() {
    modt_testkit::init_tracing();
    let broker = TestBroker::embedded();
    let port = broker.port().to_string();
    let dir = tempfile::tempdir().unwrap();
    let unit_id = client_id("state-kill");
    let start = || support::spawn_unit("state", &unit_id, &port, dir.path(), &[]);
    let client = Client::connect(broker.client_config("req", MqttVersion::V5))
        .await
        .unwrap();

    let mut p = start();
    wait_online(&client, &unit_id).await;
    let writes = (0..300).map(|i| {
        let client = client.clone();
        async move {
            let ack: StateAck = client
                .request_json(
                    &topics::STATE_SET,
                    &StateSet::new("durable", format!("k{i}"), json!({"i": i})),
                    modt::RequestOptions::new(),
                )
                .await
                .unwrap();
            assert_eq!(ack.version, Some(1));
        }
    });
    futures::future::join_all(writes).await;
    p.signal("KILL");
    p.wait_exit(10);
    modt_testkit::wait_status(&client, &unit_id, "offline").await;

    let _p = start();
    wait_online(&client, &unit_id).await;
    for i in 0..300 {
        let v: StateValue = client
            .request_json(
                &topics::STATE_GET,
                &StateGet::new("durable", format!("k{i}")),
                modt::RequestOptions::new(),
            )
            .await
            .unwrap();
        assert_eq!(
            (v.status, v.value),
            (ValueStatus::Valid, json!({"i": i})),
            "k{i}"
        );
    }
    client.shutdown().await;
}
