//! Presence through the real binary: retained `online` while a unit runs, `offline` after a
//! kill (the broker fires the last will) and after a clean stop (SIGTERM).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use modt::{Client, MqttVersion};
use modt_testkit::{client_id, init_tracing, wait_online, wait_status, BrokerKind, TestBroker};

async fn presence(kind: BrokerKind, version: &str) {
    init_tracing();
    let Some(broker) = TestBroker::start(kind) else {
        return;
    };
    let port = broker.port().to_string();
    let observer = Client::connect(broker.client_config("observer", MqttVersion::V5))
        .await
        .unwrap();
    let args = |id: &str| -> Vec<String> {
        [
            "unit",
            "echo",
            "--unit-id",
            id,
            "--broker-port",
            &port,
            "--mqtt-version",
            version,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };

    // Killed: no DISCONNECT, so the broker publishes the retained last will.
    let killed = client_id("echo-kill");
    let a = args(&killed);
    let mut p = support::spawn(&a.iter().map(String::as_str).collect::<Vec<_>>());
    wait_online(&observer, &killed).await;
    p.signal("KILL");
    p.wait_exit(10);
    wait_status(&observer, &killed, "offline").await;

    // Stopped cleanly: the unit publishes `offline` itself and exits 0.
    let stopped = client_id("echo-term");
    let a = args(&stopped);
    let mut p = support::spawn(&a.iter().map(String::as_str).collect::<Vec<_>>());
    wait_online(&observer, &stopped).await;
    p.signal("TERM");
    let status = p.wait_exit(15);
    assert!(status.success(), "clean stop exits 0: {status:?}");
    wait_status(&observer, &stopped, "offline").await;
    let (_, stderr) = p.output();
    assert!(stderr.contains("unit stopped"), "{stderr}");

    observer.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presence_on_the_embedded_broker_v5() {
    presence(BrokerKind::Embedded, "5").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presence_on_the_embedded_broker_v311() {
    presence(BrokerKind::Embedded, "3.1.1").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presence_on_mosquitto() {
    presence(BrokerKind::Mosquitto, "5").await;
    presence(BrokerKind::Mosquitto, "3.1.1").await;
}
