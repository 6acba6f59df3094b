//! A client given several broker addresses (`ClientConfig::fallback_brokers`, `--broker a,b`)
//! moves to the next when its broker goes away: it subscribes again there, a unit announces
//! itself there, and requests flow. Two independent brokers stand in for two cluster nodes
//! here (the cluster itself is tested in modt-cli's tests/cluster.rs).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use modt::protocol::topics;
use modt::{BrokerAddress, Client, ClientConfig, MqttVersion};
use modt_testkit::{init_tracing, wait_online, wait_until, TestBroker};
use serde_json::{json, Value};

fn both(first: &TestBroker, second: &TestBroker, prefix: &str, v: MqttVersion) -> ClientConfig {
    let mut cfg = first.client_config(prefix, v).with_brokers(vec![
        BrokerAddress::new("127.0.0.1", first.port()),
        BrokerAddress::new("127.0.0.1", second.port()),
    ]);
    cfg.reconnect_max = Duration::from_millis(300);
    cfg
}

async fn echo_answers(client: &Client, n: u64) -> bool {
    client
        .request_json::<_, Value>(
            &topics::ECHO,
            &json!({ "n": n }),
            modt::RequestOptions::new().timeout(Duration::from_millis(500)),
        )
        .await
        .is_ok_and(|r| r["n"] == n)
}

async fn moves_to_the_second_broker(version: MqttVersion) {
    init_tracing();
    let mut first = TestBroker::embedded();
    let second = TestBroker::embedded();
    let (unit, client, unit_id) = support::start_echo(
        both(&first, &second, "echo", version),
        both(&first, &second, "req", version),
    )
    .await;
    assert!(echo_answers(&client, 1).await);

    let mut conn = client.connection();
    let generation = conn.borrow().generation;
    tokio::task::block_in_place(|| first.stop());
    tokio::time::timeout(
        Duration::from_secs(15),
        conn.wait_for(|s| s.connected && s.generation > generation),
    )
    .await
    .expect("the requester connects to the second broker")
    .unwrap();
    // The second broker never saw these clients before: the reply subscription and the
    // unit's request subscription were made again there, and the unit announced itself.
    wait_until(
        Duration::from_secs(15),
        "echo through the second broker",
        || echo_answers(&client, 2),
    )
    .await;
    let watcher = Client::connect(second.client_config("watch", version))
        .await
        .unwrap();
    wait_online(&watcher, &unit_id).await;

    watcher.shutdown().await;
    client.shutdown().await;
    unit.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_broker_is_left_for_the_next_v5() {
    moves_to_the_second_broker(MqttVersion::V5).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_broker_is_left_for_the_next_v311() {
    moves_to_the_second_broker(MqttVersion::V311).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_line_connect_tries_every_address_before_giving_up() {
    init_tracing();
    let live = TestBroker::embedded();
    let mut dead = TestBroker::embedded();
    tokio::task::block_in_place(|| dead.stop());
    // Nothing listens at the first address: a tool (no waiting for a broker) still
    // connects, to the second.
    let mut cfg = both(&dead, &live, "tool", MqttVersion::V5);
    cfg.wait_for_broker = false;
    let client = Client::connect(cfg.clone())
        .await
        .expect("connects to the live one");
    client.shutdown().await;
    // Nothing listens anywhere: it fails at once, naming how many it tried.
    let mut gone = live;
    tokio::task::block_in_place(|| gone.stop());
    let err = Client::connect(cfg).await.unwrap_err();
    assert!(
        err.to_string().contains("any of the 2 MQTT brokers"),
        "{err}"
    );
}
