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
    client: Client,
    root: String,
    replies: Subscription,
}

impl Raw {
    /// A requester on `client` whose replies go under `modt/reply/{name}`.
    async fn new(client: &Client, name: &str) -> Raw {
        let root = format!("modt/reply/{name}");
        let filter = modt::TopicFilter::new(format!("{root}/#")).unwrap();
        let replies = client.subscribe(&filter, QoS::AtLeastOnce).await.unwrap();
        Raw {
            client: client.clone(),
            root,
            replies,
        }
    }

    /// Sends request `id` to `topic` and returns its answer.
    async fn ask(&mut self, topic: &Topic, payload: Value, id: &str) -> Value {
        self.send(topic, payload, id).await;
        self.answer(id).await
    }

    /// Sends request `id` twice, one after the other, and returns both answers.
    async fn ask_twice(&mut self, topic: &Topic, payload: Value, id: &str) -> [Value; 2] {
        let first = self.ask(topic, payload.clone(), id).await;
        [first, self.ask(topic, payload, id).await]
    }

    async fn send(&self, topic: &Topic, mut payload: Value, id: &str) {
        payload["request_id"] = json!(id);
        let mut out = Outgoing::new(topic.clone(), serde_json::to_vec(&payload).unwrap());
        out.qos = QoS::AtLeastOnce;
        out.response_topic = Some(format!("{}/{id}", self.root));
        out.correlation_data = Some(id.as_bytes().to_vec().into());
        self.client.publish(out).await.unwrap();
    }

    async fn answer(&mut self, id: &str) -> Value {
        let msg = recv_within(&mut self.replies, T, id).await;
        assert_eq!(msg.topic, format!("{}/{id}", self.root));
        msg.json().unwrap()
    }
}

/// A state unit on `broker` (over `dir`'s database, if given), a client and a requester
/// named `requester`.
async fn start(
    broker: &TestBroker,
    dir: Option<tempfile::TempDir>,
    requester: &str,
) -> (support::StateUnit, Client, Raw) {
    let (state, c) = support::start(broker, MqttVersion::V5, dir).await;
    let raw = Raw::new(&c, requester).await;
    (state, c, raw)
}

fn set(key: &str, value: Value, if_version: Option<u64>) -> Value {
    let mut set = StateSet::new("u", key, value);
    set.if_version = if_version;
    serde_json::to_value(set).unwrap()
}

fn ok_version(answer: &Value) -> (Value, Value) {
    (answer["status"].clone(), answer["version"].clone())
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
    let (state, c, mut raw) = start(&broker, None, &modt_testkit::client_id("retrier")).await;
    let changed = topics::state_changed("u").unwrap().to_filter();
    let mut events = c.subscribe(&changed, QoS::AtLeastOnce).await.unwrap();
    // Back to back: the second arrives while the first may still be queued for commit.
    raw.send(&topics::STATE_SET, set("k", json!(1), None), "w1")
        .await;
    raw.send(&topics::STATE_SET, set("k", json!(1), None), "w1")
        .await;
    for _ in 0..2 {
        let a = raw.answer("w1").await;
        assert_eq!(ok_version(&a), (json!("ok"), json!(1)), "{a}");
    }
    let again = raw
        .ask(&topics::STATE_SET, set("k", json!(1), None), "w1")
        .await;
    assert_eq!(again["version"], json!(1), "{again}");
    assert_eq!(stored_version(&c, "k").await, 1);
    let next = raw
        .ask(&topics::STATE_SET, set("k", json!(2), None), "w2")
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
    let (state, c, mut raw) = start(&broker, None, &modt_testkit::client_id("retrier")).await;
    let create = set("new", json!("x"), Some(0));
    for a in raw.ask_twice(&topics::STATE_SET, create, "c1").await {
        assert_eq!(ok_version(&a), (json!("ok"), json!(1)), "{a}");
    }
    // A refused write is remembered as refused, even when it would succeed now.
    let stale = set("new", json!("y"), Some(2));
    let refused = raw.ask(&topics::STATE_SET, stale.clone(), "c2").await;
    assert_eq!(refused["error"]["code"], json!("conflict"), "{refused}");
    raw.ask(&topics::STATE_SET, set("new", json!("z"), None), "c3")
        .await;
    let replayed = raw.ask(&topics::STATE_SET, stale, "c2").await;
    assert_eq!(replayed["error"], refused["error"]);
    assert_eq!(stored_version(&c, "new").await, 2);
    c.shutdown().await;
    state.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deletes_clears_and_bulk_sets_are_applied_once() {
    let broker = TestBroker::embedded();
    let (state, c, mut raw) = start(&broker, None, &modt_testkit::client_id("retrier")).await;
    let bulk =
        json!({"user_id": "u", "entries": [{"key": "a", "value": 1}, {"key": "b", "value": 2}]});
    for a in raw.ask_twice(&topics::STATE_BULK_SET, bulk, "b1").await {
        assert_eq!(a["versions"], json!({"a": 1, "b": 1}), "{a}");
    }
    let delete = serde_json::to_value(StateDelete::new("u", "a")).unwrap();
    for a in raw.ask_twice(&topics::STATE_DELETE, delete, "d1").await {
        assert_eq!(a["removed"], json!(1), "{a}");
    }
    let clear = serde_json::to_value(StateClear::new("u")).unwrap();
    for a in raw.ask_twice(&topics::STATE_CLEAR, clear, "x1").await {
        assert_eq!(a["removed"], json!(1), "only b was left: {a}");
    }
    c.shutdown().await;
    state.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remembered_request_survives_a_restart() {
    let broker = TestBroker::embedded();
    let requester = modt_testkit::client_id("retrier");
    let (state, c, mut raw) = start(&broker, None, &requester).await;
    raw.ask(&topics::STATE_SET, set("k", json!(1), None), "r1")
        .await;
    c.shutdown().await;
    let dir = state.stop().await;
    let (state, c, mut raw) = start(&broker, Some(dir), &requester).await;
    let a = raw
        .ask(&topics::STATE_SET, set("k", json!(1), None), "r1")
        .await;
    assert_eq!(a["version"], json!(1), "{a}");
    assert_eq!(stored_version(&c, "k").await, 1);
    c.shutdown().await;
    state.stop().await;
}
