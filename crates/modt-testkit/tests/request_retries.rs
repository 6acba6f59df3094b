//! `RequestOptions::retries`: a request whose reply does not come is sent again as the same
//! request (same `request_id`, same reply topic), so a unit that remembers requests answers it
//! once; a request out of retries fails as before.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use modt::{Client, Context, Message, MqttVersion, RequestErrorKind, RequestOptions, Unit};
use modt_testkit::{init_tracing, wait_online, RunningUnit, TestBroker};
use serde_json::{json, Value};

/// Each attempt waits this long; short, since every attempt but the answered one waits it out.
const ATTEMPT: Duration = Duration::from_millis(300);

/// A unit that answers a request id only once it has seen it `answer_on` times, recording the
/// ids and reply topics it got.
fn forgetful(topic: &modt::Topic, answer_on: usize, seen: Arc<Mutex<Vec<String>>>) -> Unit {
    Unit::new("forgetful", "test", "0").route(
        topic.to_filter(),
        move |ctx: Context, _msg: Message| {
            let seen = seen.clone();
            async move {
                let request = ctx.request();
                let id = request.request_id.clone().unwrap_or_default();
                let key = format!("{id} {:?}", request.reply_to);
                let copies = {
                    let mut seen = seen.lock().unwrap();
                    seen.push(key.clone());
                    seen.iter().filter(|k| **k == key).count()
                };
                if copies >= answer_on {
                    ctx.reply(&json!({ "copies": copies })).await?;
                }
                Ok(())
            }
        },
    )
}

async fn setup(answer_on: usize) -> (TestBroker, RunningUnit, Client, Arc<Mutex<Vec<String>>>) {
    init_tracing();
    let broker = TestBroker::embedded();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let unit = forgetful(&topic(), answer_on, seen.clone());
    let running = RunningUnit::start(unit, broker.client_config("forgetful", MqttVersion::V5));
    let client = Client::connect(broker.client_config("req", MqttVersion::V5))
        .await
        .unwrap();
    wait_online(&client, "forgetful").await;
    (broker, running, client, seen)
}

fn topic() -> modt::Topic {
    modt::Topic::new("modt/test/retries").unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_is_the_same_request_and_gets_the_reply() {
    let (_broker, running, client, seen) = setup(3).await;
    let opts = RequestOptions::new()
        .timeout(ATTEMPT)
        .retries(3)
        .retry_backoff(Duration::from_millis(10), Duration::from_millis(20));
    let reply: Value = client
        .request_json(&topic(), &json!({}), opts)
        .await
        .unwrap();
    assert_eq!(reply["copies"], 3);
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert!(
        seen.iter().all(|k| *k == seen[0]),
        "one id and reply topic: {seen:?}"
    );
    client.shutdown().await;
    running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_retries_left_the_request_times_out() {
    let (_broker, running, client, seen) = setup(usize::MAX).await;
    let opts = RequestOptions::new()
        .timeout(ATTEMPT)
        .retries(1)
        .retry_backoff(Duration::from_millis(10), Duration::from_millis(10));
    let err = client
        .request(&topic(), &json!({}), opts)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), RequestErrorKind::TimedOut);
    assert_eq!(
        seen.lock().unwrap().len(),
        2,
        "the first send and one retry"
    );
    // Without retries (the default), one send.
    seen.lock().unwrap().clear();
    let opts = RequestOptions::new().timeout(ATTEMPT);
    let err = client
        .request(&topic(), &json!({}), opts)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), RequestErrorKind::TimedOut);
    assert_eq!(seen.lock().unwrap().len(), 1);
    client.shutdown().await;
    running.stop().await.unwrap();
}
