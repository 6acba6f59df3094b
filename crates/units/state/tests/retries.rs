//! A write sent again with the same reply topic and request id — an MQTT re-send after a
//! reconnect, or the requester's own retry — gets the first answer and is not applied again,
//! also after the unit restarts. A new request id is a new write.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use modt::protocol::*;
use modt::{Client, MqttVersion, Outgoing, QoS, Subscription, Topic};
use modt_testkit::{recv_within, TestBroker};
use serde_json::{json, Value};

const T: Duration = Duration::from_secs(5);

/// A requester that names its own request ids, as a client re-sending a PUBLISH does.
struct Raw {
    root: String,
    replies: Subscription,
}

impl Raw {
    /// A requester whose replies go under `modt/reply/{name}`.
    async fn new(c: &Client, name: &str) -> Raw {
        let root = format!("modt/reply/{name}");
        let filter = modt::TopicFilter::new(format!("{root}/#")).unwrap();
        let replies = c.subscribe(&filter, QoS::AtLeastOnce).await.unwrap();
        Raw { root, replies }
    }

    /// Sends request `id` to `topic` and returns its answer.
    async fn ask(&mut self, c: &Client, topic: &Topic, payload: Value, id: &str) -> Value {
        self.send(c, topic, payload, id).await;
        self.answer(id).await
    }

    async fn send(&self, c: &Client, topic: &Topic, mut payload: Value, id: &str) {
        payload["request_id"] = json!(id);
        let mut out = Outgoing::new(topic.clone(), serde_json::to_vec(&payload).unwrap());
        out.qos = QoS::AtLeastOnce;
        out.response_topic = Some(format!("{}/{id}", self.root));
        out.correlation_data = Some(id.as_bytes().to_vec().into());
        c.publish(out).await.unwrap();
    }

    async fn answer(&mut self, id: &str) -> Value {
        let msg = recv_within(&mut self.replies, T, id).await;
        assert_eq!(msg.topic, format!("{}/{id}", self.root));
        msg.json().unwrap()
    }
}

fn set(key: &str, value: Value, if_version: Option<u64>) -> Value {
    let mut set = StateSet::new("u", key, value);
    set.if_version = if_version;
    serde_json::to_value(set).unwrap()
}

async fn stored_version(c: &Client, key: &str) -> u64 {
    support::value(c, &StateGet::new("u", key))
        .await
        .version
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resent_write_is_answered_again_and_applied_once() {
    let broker = TestBroker::embedded();
    let (state, c) = support::start(&broker, MqttVersion::V5, None).await;
    let mut events = c
        .subscribe(
            &topics::state_changed("u").unwrap().to_filter(),
            QoS::AtLeastOnce,
        )
        .await
        .unwrap();
    let mut raw = Raw::new(&c, &modt_testkit::client_id("retrier")).await;
    // Back to back: the second arrives while the first may still be queued for commit.
    raw.send(&c, &topics::STATE_SET, set("k", json!(1), None), "w1")
        .await;
    raw.send(&c, &topics::STATE_SET, set("k", json!(1), None), "w1")
        .await;
    for _ in 0..2 {
        let a = raw.answer("w1").await;
        assert_eq!(
            (a["status"].clone(), a["version"].clone()),
            (json!("ok"), json!(1)),
            "{a}"
        );
    }
    let again = raw
        .ask(&c, &topics::STATE_SET, set("k", json!(1), None), "w1")
        .await;
    assert_eq!(again["version"], json!(1), "{again}");
    assert_eq!(stored_version(&c, "k").await, 1);
    let next = raw
        .ask(&c, &topics::STATE_SET, set("k", json!(2), None), "w2")
        .await;
    assert_eq!(
        next["version"],
        json!(2),
        "a new request id is a new write: {next}"
    );
    // One change event per applied write: versions 1 then 2, no repeat of 1.
    for want in [1, 2] {
        let e: StateChanged = recv_within(&mut events, T, "event").await.json().unwrap();
        assert_eq!(e.version, Some(want));
    }
    c.shutdown().await;
    state.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resent_create_only_write_is_not_a_conflict() {
    let broker = TestBroker::embedded();
    let (state, c) = support::start(&broker, MqttVersion::V5, None).await;
    let mut raw = Raw::new(&c, &modt_testkit::client_id("retrier")).await;
    for _ in 0..2 {
        let a = raw
            .ask(
                &c,
                &topics::STATE_SET,
                set("new", json!("x"), Some(0)),
                "c1",
            )
            .await;
        assert_eq!(
            (a["status"].clone(), a["version"].clone()),
            (json!("ok"), json!(1)),
            "{a}"
        );
    }
    // A refused write is remembered as refused, even when it would succeed now.
    let refused = raw
        .ask(
            &c,
            &topics::STATE_SET,
            set("new", json!("y"), Some(2)),
            "c2",
        )
        .await;
    assert_eq!(refused["error"]["code"], json!("conflict"), "{refused}");
    raw.ask(&c, &topics::STATE_SET, set("new", json!("z"), None), "c3")
        .await;
    let replayed = raw
        .ask(
            &c,
            &topics::STATE_SET,
            set("new", json!("y"), Some(2)),
            "c2",
        )
        .await;
    assert_eq!(replayed["error"], refused["error"]);
    assert_eq!(stored_version(&c, "new").await, 2);
    c.shutdown().await;
    state.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deletes_clears_and_bulk_sets_are_applied_once() {
    let broker = TestBroker::embedded();
    let (state, c) = support::start(&broker, MqttVersion::V5, None).await;
    let mut raw = Raw::new(&c, &modt_testkit::client_id("retrier")).await;
    let bulk =
        json!({"user_id": "u", "entries": [{"key": "a", "value": 1}, {"key": "b", "value": 2}]});
    for _ in 0..2 {
        let a = raw
            .ask(&c, &topics::STATE_BULK_SET, bulk.clone(), "b1")
            .await;
        assert_eq!(a["versions"], json!({"a": 1, "b": 1}), "{a}");
    }
    let delete = serde_json::to_value(StateDelete::new("u", "a")).unwrap();
    for _ in 0..2 {
        let a = raw
            .ask(&c, &topics::STATE_DELETE, delete.clone(), "d1")
            .await;
        assert_eq!(a["removed"], json!(1), "{a}");
    }
    let clear = serde_json::to_value(StateClear::new("u")).unwrap();
    for _ in 0..2 {
        let a = raw.ask(&c, &topics::STATE_CLEAR, clear.clone(), "x1").await;
        assert_eq!(a["removed"], json!(1), "only b was left: {a}");
    }
    c.shutdown().await;
    state.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remembered_request_survives_a_restart() {
    let broker = TestBroker::embedded();
    let (state, c) = support::start(&broker, MqttVersion::V5, None).await;
    let requester = modt_testkit::client_id("retrier");
    let mut raw = Raw::new(&c, &requester).await;
    raw.ask(&c, &topics::STATE_SET, set("k", json!(1), None), "r1")
        .await;
    c.shutdown().await;
    let dir = state.stop().await;
    let (state, c) = support::start(&broker, MqttVersion::V5, Some(dir)).await;
    let mut raw = Raw::new(&c, &requester).await;
    let a = raw
        .ask(&c, &topics::STATE_SET, set("k", json!(1), None), "r1")
        .await;
    assert_eq!(a["version"], json!(1), "{a}");
    assert_eq!(stored_version(&c, "k").await, 1);
    c.shutdown().await;
    state.stop().await;
}
