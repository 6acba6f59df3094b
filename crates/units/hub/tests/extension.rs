//! The correlated extension (private replies, acks after the write is durable, error replies)
//! and bad input (dead letters, limits), on both brokers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use modt::protocol::{
    hub_status, topics, ErrorCode, HubAck, HubMethod, HubRequest, HubResponse, ReplyStatus,
};
use modt::{Client, MqttVersion, QoS, RequestError};
use modt_hub::Defaults;
use modt_testkit::{BrokerKind, TestBroker};
use serde_json::{json, Value};
use support::{legacy, next_answer, next_dead_letter, responses, send};

/// A correlated request on `modt/{unit}/{verb}`, decoded as `R` (an error reply is an `Err`).
async fn correlated<R: serde::de::DeserializeOwned>(
    c: &Client,
    unit: &str,
    verb: HubMethod,
    req: &HubRequest,
) -> Result<R, RequestError> {
    c.request_json(
        &topics::hub_request(unit, verb).unwrap(),
        req,
        modt::RequestOptions::new(),
    )
    .await
}

/// The value of `key` as another SQLite connection sees it in the hub's file right now.
fn on_disk(path: &std::path::Path, key: &str) -> Option<Value> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let text: Option<String> = conn
        .query_row("SELECT value FROM hub_values WHERE key = ?1", [key], |r| {
            r.get(0)
        })
        .ok();
    text.map(|t| serde_json::from_str(&t).unwrap())
}

async fn private_replies(kind: BrokerKind, version: MqttVersion) {
    let Some(broker) = TestBroker::start(kind) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let defaults = support::defaults_file(&dir, "d.json", r#"{"color": "red"}"#);
    let (hub, c) = support::start(&broker, version, Some(dir), defaults).await;
    // A legacy listener on the same unit's response topic must hear none of the private traffic.
    let mut broadcast = responses(&c, "viewer").await;

    let a: HubResponse = correlated(
        &c,
        "viewer",
        HubMethod::Get,
        &HubRequest::new("g1", "color", None),
    )
    .await
    .unwrap();
    assert_eq!(
        (a.id.as_str(), a.status, a.value),
        ("g1", hub_status::DEFAULT, json!("red"))
    );
    assert!(a.correlation.request_id.is_some(), "request_id echoed");

    // POST: acked privately, and by then the value is in the file for any other reader.
    let ack: HubAck = correlated(
        &c,
        "viewer",
        HubMethod::Post,
        &HubRequest::new("p1", "color", Some(json!({"rgb": [1, 2, 3]}))),
    )
    .await
    .unwrap();
    assert_eq!(ack.status, ReplyStatus::Ok);
    assert!(ack.request_id.is_some());
    assert_eq!(
        (ack.id.as_str(), ack.key.as_str(), &ack.value),
        ("p1", "color", &json!({"rgb": [1, 2, 3]}))
    );
    assert_eq!(
        on_disk(&hub.db_path(), "color"),
        Some(json!({"rgb": [1, 2, 3]}))
    );
    let ack: HubAck = correlated(
        &c,
        "viewer",
        HubMethod::Put,
        &HubRequest::new("p2", "color", Some(json!(7))),
    )
    .await
    .unwrap();
    assert_eq!(ack.value, json!(7));
    assert_eq!(on_disk(&hub.db_path(), "color"), Some(json!(7)));
    let a: HubResponse = correlated(
        &c,
        "viewer",
        HubMethod::Get,
        &HubRequest::new("g2", "color", None),
    )
    .await
    .unwrap();
    assert_eq!((a.status, a.value), (hub_status::LIVE, json!(7)));
    let a: HubResponse = correlated(
        &c,
        "viewer",
        HubMethod::Get,
        &HubRequest::new("g3", "nothing", None),
    )
    .await
    .unwrap();
    assert_eq!((a.status, a.value), (hub_status::NOT_FOUND, Value::Null));

    // PUT on an unknown key: a `not_found` error reply, nothing stored.
    let e = correlated::<HubAck>(
        &c,
        "viewer",
        HubMethod::Put,
        &HubRequest::new("p3", "ghost", Some(json!(1))),
    )
    .await
    .unwrap_err();
    match e.error_reply() {
        Some(body) => {
            assert_eq!(body.code, ErrorCode::NotFound);
            assert!(body.message.contains("POST creates it"), "{}", body.message);
        }
        other => panic!("expected a not_found reply, got {other:?}"),
    }
    assert_eq!(on_disk(&hub.db_path(), "ghost"), None);

    // The first broadcast the legacy listener sees is the answer to a legacy marker request:
    // none of the correlated requests above was answered on the broadcast topic.
    send(
        &c,
        "viewer",
        HubMethod::Get,
        r#"{"id": "marker", "key": "color"}"#,
    )
    .await;
    assert_eq!(
        next_answer(&mut broadcast, "the marker's answer").await.id,
        "marker"
    );

    c.shutdown().await;
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn correlated_requests_get_private_replies_on_the_embedded_broker_v5() {
    private_replies(BrokerKind::Embedded, MqttVersion::V5).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn correlated_requests_get_private_replies_on_the_embedded_broker_v311() {
    private_replies(BrokerKind::Embedded, MqttVersion::V311).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn correlated_requests_get_private_replies_on_mosquitto() {
    private_replies(BrokerKind::Mosquitto, MqttVersion::V5).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_dead_lettered_and_limits_hold() {
    let broker = TestBroker::embedded();
    let (hub, c) = support::start(&broker, MqttVersion::V5, None, Defaults::none()).await;
    let dlq = topics::dead_letter(&hub.unit_id).unwrap();
    let mut dead = c
        .subscribe(&dlq.to_filter(), QoS::AtLeastOnce)
        .await
        .unwrap();
    let mut broadcast = responses(&c, "app").await;

    // Legacy bad input: dead-lettered with the reason, no answer on the broadcast topic.
    let big = json!({"id": "v", "key": "k", "value": "v".repeat(256 * 1024 - 1)}).to_string();
    let long_key = json!({"id": "k", "key": "k".repeat(257), "value": 1}).to_string();
    let long_id = json!({"id": "i".repeat(129), "key": "k"}).to_string();
    let cases: Vec<(HubMethod, &str, ErrorCode, &str)> = vec![
        (
            HubMethod::Get,
            "not json {",
            ErrorCode::BadRequest,
            "not JSON",
        ),
        (
            HubMethod::Get,
            r#"{"id": "x"}"#,
            ErrorCode::BadRequest,
            "missing field `key`",
        ),
        (
            HubMethod::Get,
            r#"{"key": "k"}"#,
            ErrorCode::BadRequest,
            "missing field `id`",
        ),
        (
            HubMethod::Get,
            r#"{"id": "x", "key": ""}"#,
            ErrorCode::BadRequest,
            "key is empty",
        ),
        (
            HubMethod::Post,
            r#"{"id": "x", "key": "k"}"#,
            ErrorCode::BadRequest,
            "POST needs a value",
        ),
        (
            HubMethod::Put,
            r#"{"id": "x", "key": "k", "value": null}"#,
            ErrorCode::BadRequest,
            "PUT needs a value",
        ),
        (
            HubMethod::Post,
            &long_key,
            ErrorCode::TooLarge,
            "key is 257 bytes; the limit is 256",
        ),
        (
            HubMethod::Get,
            &long_id,
            ErrorCode::TooLarge,
            "id is 129 characters; the limit is 128",
        ),
        (
            HubMethod::Post,
            &big,
            ErrorCode::TooLarge,
            "value is 262145 bytes; the limit is 262144",
        ),
    ];
    for (verb, payload, code, why) in &cases {
        send(&c, "app", *verb, payload).await;
        let dl = next_dead_letter(&mut dead).await;
        assert_eq!(dl.code, *code, "{payload:.60}");
        assert!(dl.reason.contains(why), "{} says {why}", dl.reason);
        assert_eq!(
            dl.topic,
            topics::hub_request("app", *verb).unwrap().as_str()
        );
    }
    // Nothing was stored, and the first broadcast is the marker's.
    let a = legacy(
        &c,
        "app",
        HubMethod::Get,
        "marker",
        r#"{"id": "marker", "key": "k"}"#,
    )
    .await;
    assert_eq!(a.status, hub_status::NOT_FOUND);
    assert_eq!(
        next_answer(&mut broadcast, "the marker's answer").await.id,
        "marker"
    );

    // Correlated bad input: an error reply with the code, and a dead letter too.
    let mut req = HubRequest::new("c1", "k".repeat(257), Some(json!(1)));
    let e = correlated::<HubAck>(&c, "app", HubMethod::Post, &req)
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::TooLarge, "{e}");
    next_dead_letter(&mut dead).await;
    req.key = "k".into();
    req.value = None;
    let e = correlated::<HubAck>(&c, "app", HubMethod::Post, &req)
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::BadRequest, "{e}");
    next_dead_letter(&mut dead).await;

    // Exactly at the limits is fine.
    let key = "k".repeat(256);
    let value = json!("v".repeat(256 * 1024 - 2));
    let ack: HubAck = correlated(
        &c,
        "app",
        HubMethod::Post,
        &HubRequest::new("i".repeat(128), key.clone(), Some(value.clone())),
    )
    .await
    .unwrap();
    assert_eq!(ack.id.len(), 128);
    let a: HubResponse = correlated(&c, "app", HubMethod::Get, &HubRequest::new("g", key, None))
        .await
        .unwrap();
    assert_eq!((a.status, a.value), (hub_status::LIVE, value));

    // The hub is still up and counted what it refused.
    let ping: modt::protocol::PingReply = c
        .request_json(
            &topics::unit_ping(&hub.unit_id).unwrap(),
            &json!({}),
            modt::RequestOptions::new(),
        )
        .await
        .unwrap();
    assert_eq!(ping.dead_letters, cases.len() as u64 + 2);

    c.shutdown().await;
    hub.stop().await;
}
