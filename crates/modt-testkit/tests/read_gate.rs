//! A client whose subscribers are behind stops reading from the broker (the read gate,
//! `crates/modt/src/client/held.rs`) but keeps its connection: its pings go on while reading
//! is paused, so the broker neither disconnects it after 1.5 keep-alives nor drops what it
//! holds for it. Held closed here for three keep-alives with nothing else sent, on the embedded
//! broker and Mosquitto, MQTT 5 and 3.1.1; then every message arrives, in order, on the first
//! connection.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use modt::{Client, MqttVersion, Outgoing, QoS, Topic, TopicFilter};
use modt_testkit::{init_tracing, recv_within, BrokerKind, TestBroker};

/// The slow client's keep-alive: a unit's (`modt::unit::UNIT_KEEP_ALIVE`), the shortest MQTT 5's
/// client allows. The broker ends a silent connection after 1.5 times this (Mosquitto; rmqtt
/// after 1.75 times). (With 1 s, MQTT 3.1.1's shortest, neither broker ended the connection of
/// a client silent for 3 s, with or without the pings.)
const KEEP_ALIVE: Duration = modt::unit::UNIT_KEEP_ALIVE;

/// How long nobody reads the subscription, in keep-alives.
const PAUSED_KEEP_ALIVES: u32 = 3;
/// Messages sent, and their size: together far past the slow client's held-bytes limit.
const MESSAGES: usize = 40;
const PAYLOAD: usize = 4096;
const MAX_HELD_BYTES: usize = 16 * 1024;

async fn paused_reading_keeps_the_connection(kind: BrokerKind, version: MqttVersion) {
    init_tracing();
    let Some(broker) = TestBroker::start(kind) else {
        return; // the test kit printed why (and fails when MODT_REQUIRE_MOSQUITTO is set)
    };
    let mut config = broker.client_config("slow", version);
    config.keep_alive = KEEP_ALIVE;
    config.max_held_bytes = MAX_HELD_BYTES;
    let slow = Client::connect(config).await.unwrap();
    let connection = slow.connection();
    let first = connection.borrow().generation;
    let filter = TopicFilter::new("modt/test/gate/#").unwrap();
    let mut sub = slow.subscribe(&filter, QoS::AtLeastOnce).await.unwrap();

    let sender = Client::connect(broker.client_config("sender", version))
        .await
        .unwrap();
    for i in 0..MESSAGES {
        let topic = Topic::new(format!("modt/test/gate/{i}")).unwrap();
        let out = Outgoing::new(topic, vec![b'x'; PAYLOAD]).qos(QoS::AtLeastOnce);
        sender.publish(out).await.unwrap();
    }
    // Nobody reads: the held bytes pass the limit, the gate closes, the slow client sends
    // nothing but its pings.
    tokio::time::sleep(KEEP_ALIVE * PAUSED_KEEP_ALIVES).await;
    for i in 0..MESSAGES {
        let m = recv_within(&mut sub, Duration::from_secs(10), "a held message").await;
        assert_eq!(
            m.topic,
            format!("modt/test/gate/{i}"),
            "{kind:?} {version:?}"
        );
    }
    let now = *connection.borrow();
    assert!(
        now.connected && now.generation == first,
        "{kind:?} {version:?}: the slow client was disconnected while its reading was paused \
         ({now:?}, first generation {first})"
    );
    sender.shutdown().await;
    slow.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paused_reading_keeps_the_connection_embedded_v5() {
    paused_reading_keeps_the_connection(BrokerKind::Embedded, MqttVersion::V5).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paused_reading_keeps_the_connection_embedded_v311() {
    paused_reading_keeps_the_connection(BrokerKind::Embedded, MqttVersion::V311).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paused_reading_keeps_the_connection_mosquitto_v5() {
    paused_reading_keeps_the_connection(BrokerKind::Mosquitto, MqttVersion::V5).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paused_reading_keeps_the_connection_mosquitto_v311() {
    paused_reading_keeps_the_connection(BrokerKind::Mosquitto, MqttVersion::V311).await;
}
