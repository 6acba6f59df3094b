//! Pipelined publishes are never lost, even while the same connection is busy handing
//! messages to a subscriber that cannot keep up.
//!
//! The client's connection task races rumqttc's poll against delivering its backlog to slow
//! subscribers. A poll dropped half-way loses whatever it had taken from the request queue
//! but not yet written (a publish, or a PUBACK). This test makes both happen at once: batches
//! of 2 KiB publishes (bigger than the write buffer, so writes wait for the socket) and a
//! subscriber with a 4-message queue that drains slowly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use modt::{Client, MqttVersion, Outgoing, QoS, Subscription, TopicFilter};
use modt_testkit::{init_tracing, BrokerKind, TestBroker};

const MESSAGES: usize = 5_000;
const PAYLOAD: usize = 2048;

/// Counts messages until all [`MESSAGES`] came or none came for 30 s; with `pause_every`,
/// sleeps 2 ms after every that many (a subscriber that cannot keep up).
async fn count(sub: &mut Subscription, pause_every: Option<usize>) -> usize {
    let mut n = 0;
    while n < MESSAGES {
        match tokio::time::timeout(Duration::from_secs(30), sub.recv()).await {
            Ok(Some(_)) => n += 1,
            _ => break,
        }
        if pause_every.is_some_and(|every| n % every == 0) {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
    n
}

async fn nothing_lost(kind: BrokerKind, version: MqttVersion) {
    init_tracing();
    let Some(broker) = TestBroker::start(kind) else {
        return;
    };
    let filter = TopicFilter::new("modt/test/pipe/#").unwrap();

    // The observer: a fast subscriber on its own connection.
    let observer = Client::connect(broker.client_config("observer", version))
        .await
        .unwrap();
    let mut seen = observer.subscribe(&filter, QoS::AtLeastOnce).await.unwrap();
    let observed = tokio::spawn(async move { count(&mut seen, None).await });

    // The publisher also subscribes to what it publishes, through a tiny queue read slowly.
    let mut config = broker.client_config("publisher", version);
    config.subscription_capacity = 4;
    let publisher = Client::connect(config).await.unwrap();
    let mut own = publisher
        .subscribe(&filter, QoS::AtLeastOnce)
        .await
        .unwrap();
    let slow = tokio::spawn(async move { count(&mut own, Some(64)).await });

    for i in 0..MESSAGES {
        let topic = modt::Topic::new(format!("modt/test/pipe/{i}")).unwrap();
        publisher
            .publish(Outgoing::new(topic, vec![b'x'; PAYLOAD]).qos(QoS::AtLeastOnce))
            .await
            .unwrap();
    }
    let (observed, slow) = (observed.await.unwrap(), slow.await.unwrap());
    assert_eq!(
        observed, MESSAGES,
        "the observer got every publish ({kind:?}, {version:?})"
    );
    assert_eq!(
        slow, MESSAGES,
        "the slow subscriber got every message ({kind:?}, {version:?})"
    );
    publisher.shutdown().await;
    observer.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipelined_publishes_beside_a_slow_subscriber_embedded_v5() {
    nothing_lost(BrokerKind::Embedded, MqttVersion::V5).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipelined_publishes_beside_a_slow_subscriber_embedded_v311() {
    nothing_lost(BrokerKind::Embedded, MqttVersion::V311).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipelined_publishes_beside_a_slow_subscriber_mosquitto_v5() {
    nothing_lost(BrokerKind::Mosquitto, MqttVersion::V5).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipelined_publishes_beside_a_slow_subscriber_mosquitto_v311() {
    nothing_lost(BrokerKind::Mosquitto, MqttVersion::V311).await;
}
