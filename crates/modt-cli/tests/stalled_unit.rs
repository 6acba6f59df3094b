//! A unit that stops answering (here: SIGSTOP) is marked offline by its last will within
//! about 1.5 × its 5 s keep-alive, and requests waiting for it — a pipelined window of them —
//! fail then with `Error::Offline` naming the unit, instead of each waiting out its timeout.
//! The real `modt unit state` on the embedded broker (hardening issue, "stalled unit").
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use modt::protocol::{topics, StateAck, StateSet};
use modt::{Client, Directory, MqttVersion};
use modt_testkit::{client_id, wait_online, TestBroker};
use serde_json::json;
use tokio_util::sync::CancellationToken;

/// Longer than the last will takes, so only the presence watch can end the requests early.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_to_a_stalled_unit_fail_when_it_goes_offline() {
    modt_testkit::init_tracing();
    let broker = TestBroker::embedded();
    let port = broker.port().to_string();
    let dir = tempfile::tempdir().unwrap();
    let unit_id = client_id("state-stall");
    let unit = support::spawn_unit("state", &unit_id, &port, dir.path(), &[]);
    let client = Client::connect(broker.client_config("stall", MqttVersion::V5))
        .await
        .unwrap();
    client.fail_fast_with(
        Directory::watch(&client, CancellationToken::new())
            .await
            .unwrap(),
    );
    wait_online(&client, &unit_id).await;
    let set = StateSet::new("u", "k", json!(1));
    let ack: StateAck = client
        .request_json(
            &topics::STATE_SET,
            &set,
            modt::RequestOptions::new().timeout(REQUEST_TIMEOUT),
        )
        .await
        .unwrap();
    assert_eq!(ack.version, Some(1), "served while running");

    unit.signal("STOP");
    let window = (0..32).map(|i| {
        let client = client.clone();
        async move {
            let set = StateSet::new("u", format!("w{i}"), json!(i));
            client
                .request_json::<_, StateAck>(
                    &topics::STATE_SET,
                    &set,
                    modt::RequestOptions::new().timeout(REQUEST_TIMEOUT),
                )
                .await
        }
    });
    let started = std::time::Instant::now();
    let results = futures::future::join_all(window).await;
    eprintln!(
        "stalled unit: the window failed after {:?}",
        started.elapsed()
    );
    for r in results {
        match r {
            Err(e) if e.kind() == modt::RequestErrorKind::NoResponders => {
                assert!(e.to_string().contains(topics::STATE_SET.as_str()), "{e}");
                assert_eq!(e.offline_units(), std::slice::from_ref(&unit_id));
            }
            other => panic!("expected Error::Offline, got {other:?}"),
        }
    }
    // Sent while it is known to be offline: refused at once, the same way.
    let late = client
        .request_json::<_, StateAck>(
            &topics::STATE_SET,
            &set,
            modt::RequestOptions::new().timeout(REQUEST_TIMEOUT),
        )
        .await;
    assert!(
        matches!(&late, Err(e) if e.kind() == modt::RequestErrorKind::NoResponders),
        "{late:?}"
    );
    unit.signal("CONT");
    client.shutdown().await;
}
