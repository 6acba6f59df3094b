//! The state unit as the original's clients use it, on Mosquitto as users run it: legacy gets
//! from a paho-style client (MQTT 3.1.1, QoS 0, no quick ACKs) answered without a delayed-ACK
//! stall, and gets the unit cannot use answered `not_found` as the original answers them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use modt::protocol::*;
use modt::{Client, MqttVersion, Outgoing, QoS};
use modt_testkit::latency::{assert_no_nagle_stall, median_round_trip};
use modt_testkit::{recv_within, BrokerKind, TestBroker};
use serde_json::{json, Value};

const T: Duration = Duration::from_secs(5);

/// A client as paho makes one: 3.1.1, QoS 0, the kernel's delayed ACKs.
async fn paho_style(broker: &TestBroker) -> Client {
    let mut cfg = broker.client_config("paho", MqttVersion::V311);
    cfg.tcp_quickack = false;
    Client::connect(cfg).await.unwrap()
}

async fn legacy_gets(kind: BrokerKind) {
    let Some(broker) = TestBroker::start(kind) else {
        return;
    };
    let (state, c) = support::start(&broker, MqttVersion::V5, None).await;
    support::ack(&c, &StateSet::new("u1", "theme", json!("dark"))).await;
    let paho = paho_style(&broker).await;
    let mut values = paho
        .subscribe(&topics::STATE_VALUE.to_filter(), QoS::AtMostOnce)
        .await
        .unwrap();
    let median = median_round_trip(10, 40, async |_| {
        paho.publish_json_qos(
            &topics::STATE_GET,
            &StateGet::new("u1", "theme"),
            QoS::AtMostOnce,
        )
        .await
        .unwrap();
        let v: StateValue = recv_within(&mut values, T, "state value")
            .await
            .json()
            .unwrap();
        assert_eq!(v.value, json!("dark"));
    })
    .await;
    assert_no_nagle_stall(&format!("legacy get, {kind:?}"), median);
    paho.shutdown().await;
    c.shutdown().await;
    state.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn legacy_gets_on_every_broker() {
    for kind in BrokerKind::ALL {
        legacy_gets(kind).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_get_the_unit_cannot_use_is_answered_as_the_original_answers_it() {
    let Some(broker) = TestBroker::mosquitto_stock() else {
        return;
    };
    let (state, c) = support::start(&broker, MqttVersion::V311, None).await;
    let paho = paho_style(&broker).await;
    let mut values = paho
        .subscribe(&topics::STATE_VALUE.to_filter(), QoS::AtMostOnce)
        .await
        .unwrap();
    let dead_letters = topics::dead_letter(&state.unit_id).unwrap().to_filter();
    let mut dead = c.subscribe(&dead_letters, QoS::AtLeastOnce).await.unwrap();
    let long_key = "k".repeat(300);
    let cases = [
        (
            json!({"user_id": "u1", "action": "get"}),
            json!("u1"),
            Value::Null,
        ),
        (
            json!({"user_id": 5, "key": "theme"}),
            json!(5),
            json!("theme"),
        ),
        (json!({"key": ["a"]}), Value::Null, json!(["a"])),
        (
            json!({"user_id": "u1", "key": long_key}),
            json!("u1"),
            json!(long_key),
        ),
    ];
    for (payload, user_id, key) in cases {
        paho.publish(Outgoing::new(topics::STATE_GET, payload.to_string()).qos(QoS::AtMostOnce))
            .await
            .unwrap();
        let v: Value = recv_within(&mut values, T, "not_found answer")
            .await
            .json()
            .unwrap();
        assert_eq!(v["status"], "not_found", "{payload}: {v}");
        assert_eq!(
            (&v["user_id"], &v["key"], &v["value"]),
            (&user_id, &key, &Value::Null)
        );
        let d: DeadLetter = recv_within(&mut dead, T, "dead letter")
            .await
            .json()
            .unwrap();
        assert_eq!(
            d.topic,
            topics::STATE_GET.as_str(),
            "and still dead-lettered"
        );
    }
    // Not JSON at all: the original answers nothing (it cannot read the fields to echo).
    paho.publish(Outgoing::new(topics::STATE_GET, "not json").qos(QoS::AtMostOnce))
        .await
        .unwrap();
    recv_within(&mut dead, T, "dead letter").await;
    assert!(values.try_recv().is_none());
    paho.shutdown().await;
    c.shutdown().await;
    state.stop().await;
}
