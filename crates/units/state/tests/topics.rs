//! Every `modt/state/*` topic in both reply styles — legacy broadcasts as the original Python
//! clients expect them, and private correlated replies — on the embedded broker and Mosquitto.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use modt::protocol::*;
use modt::{Client, MqttVersion, QoS};
use modt_testkit::{recv_within, BrokerKind, TestBroker};
use serde_json::{json, Value};

const T: Duration = Duration::from_secs(5);

/// Publishes like the original SDK (its exact JSON) and waits for the broadcast answer.
async fn legacy(client: &Client, topic: &Topic, python_json: &str, answer: &Topic) -> Value {
    let mut sub = client
        .subscribe(&answer.to_filter(), QoS::AtLeastOnce)
        .await
        .unwrap();
    client
        .publish(modt::Outgoing::new(
            topic.clone(),
            python_json.as_bytes().to_vec(),
        ))
        .await
        .unwrap();
    let m = recv_within(&mut sub, T, answer.as_str()).await;
    let v: Value = m.json().unwrap();
    assert!(
        v.get("request_id").is_none(),
        "legacy answers carry no extension fields: {v}"
    );
    assert!(
        v.get("version").is_none() && v.get("meta").is_none(),
        "legacy shape: {v}"
    );
    v
}

async fn every_topic(kind: BrokerKind, version: MqttVersion) {
    let Some(broker) = TestBroker::start(kind) else {
        return;
    };
    let (state, c) = support::start(&broker, version, None).await;
    let user = format!("user-{}", state.unit_id);

    // Legacy set (no reply), then legacy get/keys/all answered on the broadcast topics.
    let set = format!(
        r#"{{"timestamp": "2026-01-02T10:00:00", "user_id": "{user}", "key": "theme", "value": "dark", "action": "set"}}"#
    );
    c.publish(modt::Outgoing::new(topics::STATE_SET, set.into_bytes()))
        .await
        .unwrap();
    let get = format!(
        r#"{{"timestamp": "2026-01-02T10:00:00", "user_id": "{user}", "key": "theme", "action": "get"}}"#
    );
    let v = legacy(&c, &topics::STATE_GET, &get, &topics::STATE_VALUE).await;
    assert_eq!(
        (v["key"].clone(), v["value"].clone(), v["status"].clone()),
        (json!("theme"), json!("dark"), json!("valid"))
    );
    let keys = format!(
        r#"{{"timestamp": "2026-01-02T10:00:00", "user_id": "{user}", "action": "list_keys"}}"#
    );
    let v = legacy(
        &c,
        &topics::STATE_KEYS_QUERY,
        &keys,
        &topics::STATE_KEYS_LIST,
    )
    .await;
    assert_eq!(v["keys"], json!(["theme"]));
    let all = format!(
        r#"{{"timestamp": "2026-01-02T10:00:00", "user_id": "{user}", "action": "get_all"}}"#
    );
    let v = legacy(&c, &topics::STATE_ALL_GET, &all, &topics::STATE_ALL_VALUE).await;
    assert_eq!(v["data"], json!({"theme": "dark"}));
    let missing = format!(r#"{{"user_id": "{user}", "key": "nope", "action": "get"}}"#);
    let v = legacy(&c, &topics::STATE_GET, &missing, &topics::STATE_VALUE).await;
    assert_eq!(
        (v["status"].clone(), v["value"].clone()),
        (json!("not_found"), Value::Null)
    );

    // Legacy delete and clear take effect (no reply), in order.
    let del = format!(r#"{{"user_id": "{user}", "key": "theme", "action": "delete"}}"#);
    c.publish(modt::Outgoing::new(topics::STATE_DELETE, del.into_bytes()))
        .await
        .unwrap();
    let v = legacy(&c, &topics::STATE_GET, &get, &topics::STATE_VALUE).await;
    assert_eq!(v["status"], "not_found");

    // Correlated: acks with versions, private replies with metadata.
    let ack: StateAck = support::ack(&c, &StateSet::new(&user, "a", json!(1))).await;
    assert_eq!(ack.version, Some(1));
    let ack: StateAck = support::ack(&c, &StateSet::new(&user, "a", json!(2))).await;
    assert_eq!(ack.version, Some(2));
    let v: StateValue = support::value(&c, &StateGet::new(&user, "a")).await;
    assert_eq!((v.value, v.version), (json!(2), Some(2)));
    assert!(v.updated_at.is_some());
    support::ack(&c, &StateSet::new(&user, "b/x", json!("two"))).await;
    support::ack(&c, &StateSet::new(&user, "b/y", json!([3]))).await;
    let l: StateKeysList = c
        .request_json(
            &topics::STATE_KEYS_QUERY,
            &StateKeysQuery::new(&user),
            modt::RequestOptions::new(),
        )
        .await
        .unwrap();
    assert_eq!(l.keys, ["a", "b/x", "b/y"]);
    let mut q = StateKeysQuery::new(&user);
    q.prefix = Some("b/".into());
    let l: StateKeysList = c
        .request_json(&topics::STATE_KEYS_QUERY, &q, modt::RequestOptions::new())
        .await
        .unwrap();
    assert_eq!(l.keys, ["b/x", "b/y"]);
    let a: StateAllValue = c
        .request_json(
            &topics::STATE_ALL_GET,
            &StateAllGet::new(&user),
            modt::RequestOptions::new(),
        )
        .await
        .unwrap();
    assert_eq!(
        Value::Object(a.data),
        json!({"a": 2, "b/x": "two", "b/y": [3]})
    );
    assert_eq!(a.meta.unwrap()["a"].version, 2);

    // Bulk.
    let bulk = StateBulkSet {
        timestamp: None,
        user_id: user.clone(),
        entries: vec![
            BulkEntry {
                key: "c".into(),
                value: json!({"deep": [1, {"x": null}]}),
                if_version: Some(0),
                ttl_secs: None,
            },
            BulkEntry {
                key: "a".into(),
                value: json!(3),
                if_version: Some(2),
                ttl_secs: None,
            },
        ],
        correlation: Correlation::NONE,
    };
    let ack: StateAck = c
        .request_json(&topics::STATE_BULK_SET, &bulk, modt::RequestOptions::new())
        .await
        .unwrap();
    assert_eq!(
        ack.versions.unwrap(),
        [("a".to_string(), 3), ("c".to_string(), 1)].into()
    );
    let bg = StateBulkGet {
        timestamp: None,
        user_id: user.clone(),
        keys: vec!["a".into(), "zz".into(), "c".into()],
        correlation: Correlation::NONE,
    };
    let bv: StateBulkValue = c
        .request_json(&topics::STATE_BULK_GET, &bg, modt::RequestOptions::new())
        .await
        .unwrap();
    assert_eq!(bv.values["a"].as_ref().unwrap().value, json!(3));
    assert_eq!(bv.values["zz"], None);
    assert_eq!(
        bv.values["c"].as_ref().unwrap().value,
        json!({"deep": [1, {"x": null}]})
    );

    // Delete and clear, correlated.
    let ack: StateAck = c
        .request_json(
            &topics::STATE_DELETE,
            &StateDelete::new(&user, "a"),
            modt::RequestOptions::new(),
        )
        .await
        .unwrap();
    assert_eq!(ack.removed, Some(1));
    let ack: StateAck = c
        .request_json(
            &topics::STATE_DELETE,
            &StateDelete::new(&user, "a"),
            modt::RequestOptions::new(),
        )
        .await
        .unwrap();
    assert_eq!(ack.removed, Some(0));
    let ack: StateAck = c
        .request_json(
            &topics::STATE_CLEAR,
            &StateClear::new(&user),
            modt::RequestOptions::new(),
        )
        .await
        .unwrap();
    assert_eq!(ack.removed, Some(3));
    let l: StateKeysList = c
        .request_json(
            &topics::STATE_KEYS_QUERY,
            &StateKeysQuery::new(&user),
            modt::RequestOptions::new(),
        )
        .await
        .unwrap();
    assert!(l.keys.is_empty());

    c.shutdown().await;
    state.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_topic_on_the_embedded_broker_v5() {
    every_topic(BrokerKind::Embedded, MqttVersion::V5).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_topic_on_the_embedded_broker_v311() {
    every_topic(BrokerKind::Embedded, MqttVersion::V311).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_topic_on_mosquitto() {
    every_topic(BrokerKind::Mosquitto, MqttVersion::V5).await;
    every_topic(BrokerKind::Mosquitto, MqttVersion::V311).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn values_keep_their_json_type() {
    let broker = TestBroker::embedded();
    let (state, c) = support::start(&broker, MqttVersion::V5, None).await;
    let values = [
        json!(5),
        json!("5"),
        json!(5.25),
        json!(-0.0),
        json!(true),
        json!("true"),
        json!(null),
        json!("null"),
        json!(""),
        json!([]),
        json!({}),
        json!([1, "1", [true, null], {"k": {"n": 1e300}}]),
        json!("日本語 ✓ \u{0000} \"quoted\""),
        json!(i64::MIN),
        json!(u64::MAX),
    ];
    for (i, v) in values.iter().enumerate() {
        let key = format!("k{i}");
        support::ack(&c, &StateSet::new("types", &key, v.clone())).await;
        let got: StateValue = support::value(&c, &StateGet::new("types", &key)).await;
        assert_eq!(&got.value, v, "key {key}");
        assert_eq!(got.status, ValueStatus::Valid);
    }
    // And through the legacy all/get broadcast too.
    let mut sub = c
        .subscribe(&topics::STATE_ALL_VALUE.to_filter(), QoS::AtLeastOnce)
        .await
        .unwrap();
    c.publish_json(&topics::STATE_ALL_GET, &StateAllGet::new("types"))
        .await
        .unwrap();
    let all: StateAllValue = recv_within(&mut sub, T, "all value").await.json().unwrap();
    for (i, v) in values.iter().enumerate() {
        assert_eq!(&all.data[&format!("k{i}")], v);
    }
    c.shutdown().await;
    state.stop().await;
}
