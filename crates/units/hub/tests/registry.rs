//! The hub's legacy protocol as the original Python units speak it (raw JSON on
//! `modt/{unit}/GET|POST|PUT`, answers on `modt/{unit}/response`), on the embedded broker
//! (MQTT 5 and 3.1.1) and on Mosquitto: lookup order, writes, PUT semantics, shared keys,
//! JSON types, arrival order.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use modt::protocol::{hub_status, HubMethod};
use modt::MqttVersion;
use modt_testkit::{BrokerKind, TestBroker};
use serde_json::{json, Value};
use support::{legacy, next_answer, responses, send};

const DEFAULTS_YAML: &str = "color: red\nretries: 3\nlayout: {columns: 2}\n";

async fn lookup_order_and_writes(kind: BrokerKind, version: MqttVersion) {
    let Some(broker) = TestBroker::start(kind) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let defaults = support::defaults_file(&dir, "defaults.yaml", DEFAULTS_YAML);
    let (hub, c) = support::start(&broker, version, Some(dir), defaults).await;
    let (get, post, put) = (HubMethod::Get, HubMethod::Post, HubMethod::Put);

    // A default (203), typed as in the file; nothing (404, null).
    let a = legacy(
        &c,
        "viewer",
        get,
        "r1",
        r#"{"timestamp": "2026-01-02T10:00:00", "id": "r1", "key": "color"}"#,
    )
    .await;
    assert_eq!(
        (a.key.as_str(), a.status, a.value),
        ("color", hub_status::DEFAULT, json!("red"))
    );
    let a = legacy(&c, "viewer", get, "r2", r#"{"id": "r2", "key": "layout"}"#).await;
    assert_eq!(
        (a.status, a.value),
        (hub_status::DEFAULT, json!({"columns": 2}))
    );
    let a = legacy(&c, "viewer", get, "r3", r#"{"id": "r3", "key": "nope"}"#).await;
    assert_eq!(
        (a.key.as_str(), a.status, a.value),
        ("nope", hub_status::NOT_FOUND, Value::Null)
    );

    // POST creates: answered 200 with the stored value; a GET then finds it live (200).
    let a = legacy(
        &c,
        "viewer",
        post,
        "w1",
        r#"{"id": "w1", "key": "nope", "value": "now"}"#,
    )
    .await;
    assert_eq!((a.status, a.value), (hub_status::LIVE, json!("now")));
    let a = legacy(&c, "viewer", get, "r4", r#"{"id": "r4", "key": "nope"}"#).await;
    assert_eq!((a.status, a.value), (hub_status::LIVE, json!("now")));

    // A live value hides the default; keys are global: another unit reads what viewer wrote.
    legacy(
        &c,
        "viewer",
        post,
        "w2",
        r#"{"id": "w2", "key": "color", "value": "blue"}"#,
    )
    .await;
    let a = legacy(&c, "monitor", get, "r5", r#"{"id": "r5", "key": "color"}"#).await;
    assert_eq!((a.status, a.value), (hub_status::LIVE, json!("blue")));

    // PUT replaces a live value, and a key that has only a default.
    let a = legacy(
        &c,
        "viewer",
        put,
        "w3",
        r#"{"id": "w3", "key": "color", "value": "green"}"#,
    )
    .await;
    assert_eq!((a.status, a.value), (hub_status::LIVE, json!("green")));
    let a = legacy(
        &c,
        "viewer",
        put,
        "w4",
        r#"{"id": "w4", "key": "retries", "value": 5}"#,
    )
    .await;
    assert_eq!((a.status, a.value), (hub_status::LIVE, json!(5)));
    let a = legacy(&c, "viewer", get, "r6", r#"{"id": "r6", "key": "retries"}"#).await;
    assert_eq!((a.status, a.value), (hub_status::LIVE, json!(5)));
    // PUT on a key the hub does not know stores nothing: 404, and it stays unknown.
    let a = legacy(
        &c,
        "viewer",
        put,
        "w5",
        r#"{"id": "w5", "key": "ghost", "value": 1}"#,
    )
    .await;
    assert_eq!(
        (a.key.as_str(), a.status, a.value),
        ("ghost", hub_status::NOT_FOUND, Value::Null)
    );
    let a = legacy(&c, "viewer", get, "r7", r#"{"id": "r7", "key": "ghost"}"#).await;
    assert_eq!(a.status, hub_status::NOT_FOUND);

    // Values keep their JSON type.
    for (i, v) in [
        json!(5),
        json!("5"),
        json!(2.5),
        json!(false),
        json!([1, "a", null]),
        json!({"o": {"p": []}}),
    ]
    .into_iter()
    .enumerate()
    {
        let post_json = json!({"id": format!("t{i}"), "key": "typed", "value": v}).to_string();
        legacy(&c, "app", post, &format!("t{i}"), &post_json).await;
        let get_json = json!({"id": format!("g{i}"), "key": "typed"}).to_string();
        let a = legacy(&c, "app", get, &format!("g{i}"), &get_json).await;
        assert_eq!((a.status, a.value), (hub_status::LIVE, v));
    }

    // Arrival order: pipelined writes then a read, without waiting in between. The store does
    // them in that order, so the read sees the last write; answers may come in any order
    // (requesters match them by id).
    let mut sub = responses(&c, "burst").await;
    for i in 0..50 {
        send(
            &c,
            "burst",
            post,
            &json!({"id": format!("b{i}"), "key": "counter", "value": i}).to_string(),
        )
        .await;
    }
    send(&c, "burst", get, r#"{"id": "last", "key": "counter"}"#).await;
    let mut answers = std::collections::HashMap::new();
    for _ in 0..51 {
        let a = next_answer(&mut sub, "a burst answer").await;
        assert_eq!(a.status, hub_status::LIVE);
        answers.insert(a.id, a.value);
    }
    for i in 0..50 {
        assert_eq!(answers[&format!("b{i}")], json!(i));
    }
    assert_eq!(answers["last"], json!(49));

    c.shutdown().await;
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lookup_order_and_writes_on_the_embedded_broker_v5() {
    lookup_order_and_writes(BrokerKind::Embedded, MqttVersion::V5).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lookup_order_and_writes_on_the_embedded_broker_v311() {
    lookup_order_and_writes(BrokerKind::Embedded, MqttVersion::V311).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lookup_order_and_writes_on_mosquitto() {
    lookup_order_and_writes(BrokerKind::Mosquitto, MqttVersion::V5).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lookup_order_and_writes_on_mosquitto_v311() {
    lookup_order_and_writes(BrokerKind::Mosquitto, MqttVersion::V311).await;
}
