//! A monitor in a topic namespace watches that system's bus only: what another system (or
//! anything outside the namespace) publishes on the same broker never reaches its pages.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use modt::protocol::Namespace;
use modt::{Client, MqttVersion, Outgoing, QoS, Topic};
use modt_monitor::{Live, MonitorConfig};
use modt_testkit::{client_id, wait_online, wait_until, RunningUnit, TestBroker};
use support::WAIT;

#[tokio::test]
async fn a_namespaced_monitor_sees_only_its_namespace() {
    let broker = TestBroker::embedded();
    let acme = Namespace::new("acme").unwrap();
    let in_acme = |prefix: &str| {
        broker
            .client_config(prefix, MqttVersion::V5)
            .with_namespace(acme.clone())
    };
    let client = Client::connect(in_acme("pub")).await.unwrap();
    let config = MonitorConfig::default();
    let live = Live::new(&config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let unit_id = client_id("monitor");
    let unit = modt_monitor::unit(config, live.clone(), listener)
        .unwrap()
        .unit_id(&unit_id);
    let running = RunningUnit::start(unit, in_acme("monitor"));
    wait_online(&client, &unit_id).await;

    // The monitor's service subscribes after the unit announces itself online, so publish
    // the pair until the inside message is seen. One publisher, one QoS: the broker delivers
    // in order, so every outside message sent once the monitor listens arrives before the
    // inside one that follows it, had the monitor subscribed to everything.
    let outside = Topic::new("other/outside").unwrap();
    let inside = Topic::new("modt/test/inside").unwrap();
    wait_until(
        WAIT,
        "the monitor took in its namespace's message",
        || async {
            for topic in [&outside, &inside] {
                let msg = Outgoing::new(topic.clone(), b"{}".to_vec()).qos(QoS::AtLeastOnce);
                client.publish(msg).await.unwrap();
            }
            live.count_of(inside.as_str()) >= 1
        },
    )
    .await;
    assert_eq!(live.count_of(outside.as_str()), 0, "outside the namespace");
    running.stop().await.unwrap();
}
