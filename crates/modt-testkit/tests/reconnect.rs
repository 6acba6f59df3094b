//! A broker restarted mid-test: the unit reconnects, re-subscribes, re-announces its presence
//! and serves again, with no manual step.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use modt::protocol::topics;
use modt::MqttVersion;
use modt_testkit::{init_tracing, wait_online, wait_until, BrokerKind, TestBroker};
use serde_json::{json, Value};

async fn survives_restart(kind: BrokerKind, version: MqttVersion) {
    init_tracing();
    let Some(mut broker) = TestBroker::start(kind) else {
        return;
    };
    let (unit, client, unit_id) = support::start_echo(
        broker.client_config("echo", version),
        broker.client_config("req", version),
    )
    .await;
    let r: Value = client
        .request_json(
            &topics::ECHO,
            &json!({"before": 1}),
            modt::RequestOptions::new(),
        )
        .await
        .unwrap();
    assert_eq!(r["before"], 1);

    let mut conn = client.connection();
    let generation = conn.borrow().generation;
    tokio::task::block_in_place(|| broker.restart());

    // Both the requester and the unit reconnect by themselves.
    tokio::time::timeout(
        Duration::from_secs(15),
        conn.wait_for(|s| s.connected && s.generation > generation),
    )
    .await
    .expect("requester reconnects")
    .unwrap();
    wait_until(
        Duration::from_secs(15),
        "the echo unit to answer after the restart",
        || {
            let client = client.clone();
            async move {
                client
                    .request_json::<_, Value>(
                        &topics::ECHO,
                        &json!({"after": 2}),
                        modt::RequestOptions::new().timeout(Duration::from_millis(300)),
                    )
                    .await
                    .is_ok_and(|r| r["after"] == 2)
            }
        },
    )
    .await;
    // The restarted broker lost retained state; the unit announced itself again.
    wait_online(&client, &unit_id).await;

    client.shutdown().await;
    unit.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_broker_restart_v5() {
    survives_restart(BrokerKind::Embedded, MqttVersion::V5).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_broker_restart_v311() {
    survives_restart(BrokerKind::Embedded, MqttVersion::V311).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mosquitto_restart_v5() {
    survives_restart(BrokerKind::Mosquitto, MqttVersion::V5).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mosquitto_restart_v311() {
    survives_restart(BrokerKind::Mosquitto, MqttVersion::V311).await;
}
