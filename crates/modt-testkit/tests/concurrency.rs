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
                .request_json::<_, Ack>(&SLOW, &json!({"i": i}), Some(Duration::from_secs(10)))
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
