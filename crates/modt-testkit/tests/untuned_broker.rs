//! Round trips on Mosquitto as users run it, beside the tuned one and the embedded broker.
//!
//! Mosquitto without a config file (or with the original MoDT's, which sets nothing more)
//! leaves Nagle's algorithm on. Before MoDT answered at the request's QoS and acknowledged
//! reads at once, every request/reply there took ~44 ms: the broker held its second small
//! packet in a row to a client (a reply after a PUBACK, the next request after a PUBACK) until
//! that client's delayed ACK. Each test fails with the old behaviour on the untuned brokers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use modt::protocol::topics;
use modt::{MqttVersion, QoS};
use modt_testkit::latency::{assert_no_nagle_stall, median_round_trip};
use modt_testkit::{init_tracing, recv_within, BrokerKind, TestBroker};
use serde_json::{json, Value};

/// Correlated request/reply to the echo unit, both sides SDK clients as configured by default.
async fn correlated(kind: BrokerKind, version: MqttVersion) {
    init_tracing();
    let Some(broker) = TestBroker::start(kind) else {
        return;
    };
    let (unit, client, _) = support::start_echo(
        broker.client_config("echo", version),
        broker.client_config("req", version),
    )
    .await;
    let median = median_round_trip(10, 40, async |i| {
        let r: Value = client
            .request_json(
                &topics::ECHO,
                &json!({ "i": i }),
                modt::RequestOptions::new(),
            )
            .await
            .unwrap();
        assert_eq!(r["i"], i);
    })
    .await;
    assert_no_nagle_stall(
        &format!("request/reply, {kind:?}, MQTT {version:?}"),
        median,
    );
    client.shutdown().await;
    unit.stop().await.unwrap();
}

/// The original's requester: paho, MQTT 3.1.1, QoS 0 publishes and subscriptions, no quick
/// ACKs, the answer broadcast on the legacy topic. The unit's own quick ACKs are off too, so
/// this checks the other half of the fix: a QoS 0 request is answered at QoS 0, leaving the
/// broker no PUBACK to send the unit before its next request.
async fn legacy_paho_style(kind: BrokerKind) {
    init_tracing();
    let Some(broker) = TestBroker::start(kind) else {
        return;
    };
    let mut unit_cfg = broker.client_config("echo", MqttVersion::V311);
    unit_cfg.tcp_quickack = false;
    let mut cfg = broker.client_config("paho", MqttVersion::V311);
    cfg.tcp_quickack = false;
    let (unit, client, _) = support::start_echo(unit_cfg, cfg).await;
    let mut answers = client
        .subscribe(&topics::ECHO_REPLY.to_filter(), QoS::AtMostOnce)
        .await
        .unwrap();
    let median = median_round_trip(10, 40, async |i| {
        client
            .publish_json_qos(&topics::ECHO, &json!({ "i": i }), QoS::AtMostOnce)
            .await
            .unwrap();
        let m = recv_within(&mut answers, Duration::from_secs(5), "legacy answer").await;
        assert_eq!(m.json::<Value>().unwrap()["i"], i);
        assert_eq!(m.qos, QoS::AtMostOnce, "answered at the request's QoS");
    })
    .await;
    assert_no_nagle_stall(&format!("legacy request at QoS 0, {kind:?}"), median);
    client.shutdown().await;
    unit.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn correlated_round_trips_on_every_broker_v5() {
    for kind in BrokerKind::ALL {
        correlated(kind, MqttVersion::V5).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn correlated_round_trips_on_every_broker_v311() {
    for kind in BrokerKind::ALL {
        correlated(kind, MqttVersion::V311).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn legacy_qos0_round_trips_on_every_broker() {
    for kind in BrokerKind::ALL {
        legacy_paho_style(kind).await;
    }
}
