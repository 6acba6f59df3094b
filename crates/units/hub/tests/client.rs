//! The SDK's hub client (`modt::HubClient`) against the real hub, and its 408 when no hub answers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use modt::protocol::hub_status;
use modt::{Client, HubClient, MqttVersion};
use modt_testkit::{BrokerKind, TestBroker};
use serde_json::{json, Value};

async fn get_post_put(kind: BrokerKind, version: MqttVersion) {
    let Some(broker) = TestBroker::start(kind) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let defaults = support::defaults_file(&dir, "d.json", r#"{"greeting": "hello"}"#);
    let (hub, c) = support::start(&broker, version, Some(dir), defaults).await;
    let viewer = HubClient::new(&c, "viewer").await.unwrap();
    assert_eq!(viewer.unit(), "viewer");

    let a = viewer.get("greeting").await.unwrap();
    assert_eq!(
        (a.key.as_str(), a.status, a.value),
        ("greeting", hub_status::DEFAULT, json!("hello"))
    );
    let a = viewer.get("theme").await.unwrap();
    assert_eq!((a.status, a.value), (hub_status::NOT_FOUND, Value::Null));
    let a = viewer.put("theme", "dark").await.unwrap();
    assert_eq!(a.status, hub_status::NOT_FOUND, "PUT does not create");
    let a = viewer.post("theme", "dark").await.unwrap();
    assert_eq!((a.status, a.value), (hub_status::LIVE, json!("dark")));
    let a = viewer.put("theme", json!({"mode": "dark"})).await.unwrap();
    assert_eq!(
        (a.status, a.value),
        (hub_status::LIVE, json!({"mode": "dark"}))
    );

    // Another unit, on another connection, reads the same key; concurrent calls on one client
    // each get their own answer.
    let other = Client::connect(broker.client_config("other", version))
        .await
        .unwrap();
    let monitor = HubClient::new(&other, "monitor").await.unwrap();
    let a = monitor.get("theme").await.unwrap();
    assert_eq!(
        (a.status, a.value),
        (hub_status::LIVE, json!({"mode": "dark"}))
    );
    let writes = (0..20).map(|i| {
        let m = monitor.clone();
        async move { m.post(format!("k{i}"), i).await.unwrap() }
    });
    for (i, a) in futures::future::join_all(writes)
        .await
        .into_iter()
        .enumerate()
    {
        assert_eq!(
            (a.key, a.status, a.value),
            (format!("k{i}"), hub_status::LIVE, json!(i))
        );
    }

    other.shutdown().await;
    c.shutdown().await;
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_post_put_on_the_embedded_broker() {
    get_post_put(BrokerKind::Embedded, MqttVersion::V5).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_post_put_on_mosquitto_v311() {
    get_post_put(BrokerKind::Mosquitto, MqttVersion::V311).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_hub_means_408_not_an_error() {
    modt_testkit::init_tracing();
    let broker = TestBroker::embedded();
    let c = Client::connect(broker.client_config("lonely", MqttVersion::V5))
        .await
        .unwrap();
    let hub = HubClient::new(&c, "lonely")
        .await
        .unwrap()
        .with_timeout(Duration::from_millis(300));
    let a = hub.get("anything").await.unwrap();
    assert_eq!(
        (a.key.as_str(), a.status, a.value),
        ("anything", hub_status::TIMEOUT, Value::Null)
    );
    assert_eq!(a.id.len(), 32, "a fresh id: {}", a.id);
    let a = hub.post("k", 1).await.unwrap();
    assert_eq!(a.status, hub_status::TIMEOUT);
    let b = hub.put("k", 1).await.unwrap();
    assert_eq!(b.status, hub_status::TIMEOUT);
    assert_ne!(a.id, b.id);
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_post_put_on_mosquitto_as_users_run_it() {
    get_post_put(BrokerKind::MosquittoStock, MqttVersion::V311).await;
    get_post_put(BrokerKind::MosquittoOriginal, MqttVersion::V5).await;
}

/// Hub calls one after another on a Mosquitto nobody tuned: each took ~44 ms before MoDT
/// answered at the request's QoS and acknowledged reads at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hub_calls_do_not_wait_on_delayed_acks() {
    let Some(broker) = TestBroker::start(BrokerKind::MosquittoStock) else {
        return;
    };
    let (hub, c) = support::start(&broker, MqttVersion::V311, None, Default::default()).await;
    let viewer = HubClient::new(&c, "viewer").await.unwrap();
    viewer.post("theme", "dark").await.unwrap();
    let median = modt_testkit::latency::median_round_trip(5, 30, async |_| {
        assert_eq!(viewer.get("theme").await.unwrap().status, hub_status::LIVE);
    })
    .await;
    modt_testkit::latency::assert_no_nagle_stall("hub get on untuned Mosquitto", median);
    c.shutdown().await;
    hub.stop().await;
}

/// The same client against the original hub (the legacy stand-in), which answers only on the
/// legacy topic: mixed fleets work both ways.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hub_client_works_with_the_original_hub() {
    let Some(broker) = TestBroker::start(BrokerKind::MosquittoStock) else {
        return;
    };
    let original = modt_testkit::legacy::LegacyStandIn::start(&broker, &[]).await;
    let c = Client::connect(broker.client_config("app", MqttVersion::V5))
        .await
        .unwrap();
    let app = HubClient::new(&c, "app").await.unwrap();
    assert_eq!(
        app.get("color").await.unwrap().status,
        hub_status::NOT_FOUND
    );
    assert_eq!(
        app.put("color", "red").await.unwrap().status,
        hub_status::NOT_FOUND
    );
    let a = app.post("color", "red").await.unwrap();
    assert_eq!((a.status, a.value), (hub_status::LIVE, json!("red")));
    let a = app.get("color").await.unwrap();
    assert_eq!((a.status, a.value), (hub_status::LIVE, json!("red")));
    c.shutdown().await;
    original.stop().await;
}
