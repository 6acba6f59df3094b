//! Request/reply round trips through the embedded broker and a real Mosquitto, with MQTT 3.1.1
//! and MQTT 5 on either side.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use modt::protocol::topics;
use modt::{Client, MqttVersion, QoS};
use modt_testkit::{init_tracing, recv_within, BrokerKind, RunningUnit, TestBroker};
use serde_json::{json, Value};

/// A broker of `kind` (None when it is not installed), an echo unit on it, and a client that
/// has seen the unit online.
async fn echo_and_client(
    kind: BrokerKind,
    unit_version: MqttVersion,
    client_version: MqttVersion,
) -> Option<(TestBroker, RunningUnit, Client)> {
    init_tracing();
    let broker = TestBroker::start(kind)?;
    let (unit, client, _) = support::start_echo(
        broker.client_config("echo", unit_version),
        broker.client_config("req", client_version),
    )
    .await;
    Some((broker, unit, client))
}

async fn round_trip(kind: BrokerKind, unit_version: MqttVersion, client_version: MqttVersion) {
    let Some((_broker, unit, client)) = echo_and_client(kind, unit_version, client_version).await
    else {
        return;
    };

    // One correlated round trip, checked field by field.
    let msg = client
        .request(
            &topics::ECHO,
            &json!({"n": 1, "s": "x", "o": {"a": [1, null]}}),
            modt::RequestOptions::new(),
        )
        .await
        .unwrap();
    let reply: Value = msg.json().unwrap();
    assert_eq!(reply["n"], 1);
    assert_eq!(reply["o"], json!({"a": [1, null]}));
    let request_id = reply["request_id"]
        .as_str()
        .expect("request_id echoed")
        .to_owned();
    assert_eq!(request_id.len(), 32);
    assert!(
        reply.get("reply_to").is_none(),
        "the reply does not carry the request's reply_to"
    );
    assert!(
        msg.topic.starts_with(&format!("{}/", client.reply_root())),
        "reply on the private topic: {}",
        msg.topic
    );
    if client_version == MqttVersion::V5 && unit_version == MqttVersion::V5 {
        assert_eq!(
            msg.correlation_data.as_deref(),
            Some(request_id.as_bytes()),
            "correlation data echoed"
        );
    }

    // Many at once: every reply reaches the request that asked for it.
    let requests = (0..50).map(|i| {
        let client = client.clone();
        async move {
            let r: Value = client
                .request_json(&topics::ECHO, &json!({"i": i}), modt::RequestOptions::new())
                .await
                .unwrap();
            assert_eq!(r["i"], i);
        }
    });
    futures::future::join_all(requests).await;

    // A legacy request (no reply_to) is answered on the broadcast topic.
    let mut legacy = client
        .subscribe(&topics::ECHO_REPLY.to_filter(), QoS::AtLeastOnce)
        .await
        .unwrap();
    client
        .publish_json(&topics::ECHO, &json!({"legacy": true}))
        .await
        .unwrap();
    let m = recv_within(&mut legacy, Duration::from_secs(5), "legacy reply").await;
    assert_eq!(m.json::<Value>().unwrap(), json!({"legacy": true}));

    client.shutdown().await;
    unit.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_v5_to_v5() {
    round_trip(BrokerKind::Embedded, MqttVersion::V5, MqttVersion::V5).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_v311_to_v311() {
    round_trip(BrokerKind::Embedded, MqttVersion::V311, MqttVersion::V311).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_v5_client_v311_unit() {
    round_trip(BrokerKind::Embedded, MqttVersion::V311, MqttVersion::V5).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_v311_client_v5_unit() {
    round_trip(BrokerKind::Embedded, MqttVersion::V5, MqttVersion::V311).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mosquitto_v5_to_v5() {
    round_trip(BrokerKind::Mosquitto, MqttVersion::V5, MqttVersion::V5).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mosquitto_v311_to_v311() {
    round_trip(BrokerKind::Mosquitto, MqttVersion::V311, MqttVersion::V311).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mosquitto_mixed_versions() {
    round_trip(BrokerKind::Mosquitto, MqttVersion::V311, MqttVersion::V5).await;
    round_trip(BrokerKind::Mosquitto, MqttVersion::V5, MqttVersion::V311).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mosquitto_as_users_run_it() {
    round_trip(BrokerKind::MosquittoStock, MqttVersion::V5, MqttVersion::V5).await;
    round_trip(
        BrokerKind::MosquittoStock,
        MqttVersion::V311,
        MqttVersion::V311,
    )
    .await;
    round_trip(
        BrokerKind::MosquittoOriginal,
        MqttVersion::V311,
        MqttVersion::V5,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_nobody_answers_times_out_with_a_typed_error() {
    init_tracing();
    let broker = TestBroker::embedded();
    let client = Client::connect(broker.client_config("req", MqttVersion::V5))
        .await
        .unwrap();
    let nobody = modt::Topic::new("modt/nobody/home").unwrap();
    let err = client
        .request(
            &nobody,
            &json!({}),
            modt::RequestOptions::new().timeout(Duration::from_millis(200)),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), modt::RequestErrorKind::TimedOut, "{err:?}");
    assert_eq!(err.code(), modt::protocol::ErrorCode::Timeout);
    let err = client
        .request(&nobody, &json!([1, 2]), modt::RequestOptions::new())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), modt::RequestErrorKind::NotAnObject, "{err:?}");
}

/// `connect` returns only once the client's reply subscription is acknowledged, so a request
/// sent at once cannot overtake it (that race lost replies, rarely, right after connecting).
async fn request_right_after_connect(kind: BrokerKind, version: MqttVersion) {
    let Some((broker, unit, watcher)) = echo_and_client(kind, version, version).await else {
        return;
    };
    for i in 0..40 {
        let client = Client::connect(broker.client_config("fresh", version))
            .await
            .unwrap();
        let reply: Value = client
            .request_json(
                &topics::ECHO,
                &json!({ "i": i }),
                modt::RequestOptions::new().timeout(Duration::from_secs(5)),
            )
            .await
            .unwrap_or_else(|e| panic!("request {i} right after connecting: {e}"));
        assert_eq!(reply["i"], i);
        client.shutdown().await;
    }
    watcher.shutdown().await;
    unit.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_right_after_connect_gets_its_reply_embedded_v311() {
    request_right_after_connect(BrokerKind::Embedded, MqttVersion::V311).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_right_after_connect_gets_its_reply_mosquitto_v5() {
    request_right_after_connect(BrokerKind::Mosquitto, MqttVersion::V5).await;
}

/// A request's headers (MQTT 5 user properties) reach the handler; QoS is the one asked for.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_headers_reach_the_handler_on_mqtt_5() {
    init_tracing();
    let broker = TestBroker::embedded();
    let topic = modt::Topic::new("modt/test/headers").unwrap();
    let unit = modt::Unit::new("headers", "test", "0").route(
        topic.to_filter(),
        |ctx: modt::Context, msg: modt::Message| async move {
            let seen = json!({
                "trace": msg.header("trace-id"),
                "qos": msg.qos.level(),
            });
            ctx.reply(&seen).await?;
            Ok(())
        },
    );
    let running = RunningUnit::start(unit, broker.client_config("headers", MqttVersion::V5));
    let client = Client::connect(broker.client_config("req", MqttVersion::V5))
        .await
        .unwrap();
    modt_testkit::wait_online(&client, "headers").await;
    let opts = modt::RequestOptions::new()
        .header("trace-id", "4bf92f35")
        .qos(QoS::AtMostOnce);
    let reply: Value = client.request_json(&topic, &json!({}), opts).await.unwrap();
    assert_eq!(reply["trace"], "4bf92f35");
    assert_eq!(reply["qos"], 0);
    client.shutdown().await;
    running.stop().await.unwrap();
}

/// A request sent with `RequestOptions::request_id` reaches the handler under that id; an id
/// that cannot be a topic level is replaced by a fresh one instead of failing the request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chosen_request_id_reaches_the_handler() {
    init_tracing();
    let broker = TestBroker::embedded();
    let topic = modt::Topic::new("modt/test/request-id").unwrap();
    let unit = modt::Unit::new("ids", "test", "0").route(
        topic.to_filter(),
        |ctx: modt::Context, _msg: modt::Message| async move {
            let id = ctx.request().request_id.clone();
            ctx.reply(&json!({ "id": id })).await?;
            Ok(())
        },
    );
    let running = RunningUnit::start(unit, broker.client_config("ids", MqttVersion::V5));
    let client = Client::connect(broker.client_config("req", MqttVersion::V5))
        .await
        .unwrap();
    modt_testkit::wait_online(&client, "ids").await;
    let opts = modt::RequestOptions::new().request_id("req-7f3a");
    let reply: Value = client.request_json(&topic, &json!({}), opts).await.unwrap();
    assert_eq!(reply["id"], "req-7f3a");
    let opts = modt::RequestOptions::new().request_id("a/b#");
    let reply: Value = client.request_json(&topic, &json!({}), opts).await.unwrap();
    let fresh = reply["id"].as_str().unwrap();
    assert!(!fresh.is_empty() && fresh != "a/b#", "{fresh}");
    client.shutdown().await;
    running.stop().await.unwrap();
}
