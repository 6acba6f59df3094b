//! The runtime's concurrency limit: never more handlers at once than `max_in_flight`, and
//! messages beyond it wait rather than get dropped.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use modt::protocol::Ack;
use modt::{Client, Context, Message, MqttVersion, Topic, Unit};
use modt_testkit::{client_id, init_tracing, wait_online, RunningUnit, TestBroker};
use serde_json::json;

const SLOW: Topic = Topic::from_static("modt/test/slow");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handlers_in_flight_never_exceed_the_limit() {
    init_tracing();
    let broker = TestBroker::embedded();
    let now = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let (n, p) = (now.clone(), peak.clone());
    let unit_id = client_id("slow");
    let unit = Unit::new("slow", "test", "0")
        .unit_id(&unit_id)
        .max_in_flight(3)
        .route(SLOW.to_filter(), move |ctx: Context, _msg: Message| {
            let (now, peak) = (n.clone(), p.clone());
            async move {
                let current = now.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(current, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(30)).await;
                now.fetch_sub(1, Ordering::SeqCst);
                ctx.reply(&Ack::new(ctx.request().request_id.clone()))
                    .await?;
                Ok(())
            }
        });
    let running = RunningUnit::start(unit, broker.client_config("slow", MqttVersion::V5));
    let client = Client::connect(broker.client_config("req", MqttVersion::V5))
        .await
        .unwrap();
    wait_online(&client, &unit_id).await;

    let requests = (0..24).map(|i| {
        let client = client.clone();
        async move {
            client
                .request_json::<_, Ack>(
                    &SLOW,
                    &json!({"i": i}),
                    modt::RequestOptions::new().timeout(Duration::from_secs(10)),
                )
                .await
        }
    });
    let results = futures::future::join_all(requests).await;
    assert!(
        results.iter().all(Result::is_ok),
        "every request answered: {results:?}"
    );
    assert_eq!(
        peak.load(Ordering::SeqCst),
        3,
        "the limit was reached and never passed"
    );

    client.shutdown().await;
    running.stop().await.unwrap();
}

const ORDERED: Topic = Topic::from_static("modt/test/ordered");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ordered_routes_accept_in_arrival_order_and_finish_concurrently() {
    init_tracing();
    let broker = TestBroker::embedded();
    let accepted = Arc::new(std::sync::Mutex::new(Vec::new()));
    let finished = Arc::new(AtomicUsize::new(0));
    let (acc, fin) = (accepted.clone(), finished.clone());
    let unit_id = client_id("ordered");
    let unit = Unit::new("ordered", "test", "0")
        .unit_id(&unit_id)
        .route_ordered(ORDERED.to_filter(), move |ctx: Context, msg: Message| {
            let v: serde_json::Value = ctx.decode(&msg)?;
            acc.lock().unwrap().push(v["i"].as_i64().unwrap());
            let fin = fin.clone();
            // Later messages finish sooner: completion order is not arrival order.
            let delay = 40u64.saturating_sub(v["i"].as_u64().unwrap());
            Ok(Box::pin(async move {
                tokio::time::sleep(Duration::from_millis(delay)).await;
                fin.fetch_add(1, Ordering::SeqCst);
                Ok(())
            }))
        });
    let running = RunningUnit::start(unit, broker.client_config("ordered", MqttVersion::V311));
    let client = Client::connect(broker.client_config("pub", MqttVersion::V311))
        .await
        .unwrap();
    wait_online(&client, &unit_id).await;
    for i in 0..40 {
        client
            .publish_json(&ORDERED, &json!({"i": i}))
            .await
            .unwrap();
    }
    modt_testkit::wait_until(Duration::from_secs(10), "all 40 handled", || {
        let f = finished.clone();
        async move { f.load(Ordering::SeqCst) == 40 }
    })
    .await;
    assert_eq!(*accepted.lock().unwrap(), (0..40).collect::<Vec<_>>());
    client.shutdown().await;
    running.stop().await.unwrap();
}

const BURST: Topic = Topic::from_static("modt/test/burst");
const OUT: Topic = Topic::from_static("modt/test/burst-out");

/// A burst larger than every queue, to a unit whose handlers publish: the connection must keep
/// sending the handlers' messages while the subscriber queue is full (no deadlock), and every
/// message must be handled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_beyond_every_queue_is_handled_while_handlers_publish() {
    init_tracing();
    let broker = TestBroker::embedded();
    let handled = Arc::new(AtomicUsize::new(0));
    let h = handled.clone();
    let unit_id = client_id("burst");
    let unit = Unit::new("burst", "test", "0")
        .unit_id(&unit_id)
        .max_in_flight(2)
        .route(BURST.to_filter(), move |ctx: Context, msg: Message| {
            let h = h.clone();
            async move {
                for _ in 0..2 {
                    ctx.client()
                        .publish(modt::Outgoing::new(OUT, msg.payload.clone()))
                        .await?;
                }
                h.fetch_add(1, Ordering::SeqCst);
                Ok(())
            }
        });
    let mut cfg = broker.client_config("burst", MqttVersion::V5);
    cfg.queue_capacity = 8;
    cfg.subscription_capacity = 8;
    let running = RunningUnit::start(unit, cfg);
    let client = Client::connect(broker.client_config("pub", MqttVersion::V5))
        .await
        .unwrap();
    wait_online(&client, &unit_id).await;
    for i in 0..3000 {
        client.publish_json(&BURST, &json!({"i": i})).await.unwrap();
    }
    modt_testkit::wait_until(
        Duration::from_secs(30),
        "all 3000 burst messages handled",
        || {
            let h = handled.clone();
            async move { h.load(Ordering::SeqCst) == 3000 }
        },
    )
    .await;
    client.shutdown().await;
    running.stop().await.unwrap();
}
