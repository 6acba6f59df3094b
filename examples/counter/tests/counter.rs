//! The counter unit for real: an embedded broker on a free port, the unit built as any program
//! builds it, and a client sending correlated requests. Copy this test with the crate.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use modt::unit::Setup;
use modt::{Client, MqttVersion, RequestOptions};
use modt_example_counter::{build, Add, Args, Count, Get, ADD, GET, NAME};
use modt_testkit::{wait_online, RunningUnit, TestBroker};

/// The broker, the counter on it with `args`, and a client that has seen it online.
async fn counter(args: Args) -> (TestBroker, RunningUnit, Client) {
    let broker = TestBroker::embedded();
    let data = tempfile::tempdir().unwrap();
    let unit = build(args, &Setup::new(data.path())).await.unwrap();
    let running = RunningUnit::start(unit, broker.client_config(NAME, MqttVersion::V5));
    let client = Client::connect(broker.client_config("test", MqttVersion::V5))
        .await
        .unwrap();
    wait_online(&client, NAME).await;
    (broker, running, client)
}

fn args(max_names: usize) -> Args {
    Args { step: 1, max_names }
}

async fn add(client: &Client, name: &str, by: Option<i64>) -> Result<Count, modt::RequestError> {
    let add = Add {
        name: name.into(),
        by,
    };
    client.request_json(&ADD, &add, RequestOptions::new()).await
}

#[tokio::test]
async fn adds_and_reads_over_mqtt() {
    let (_broker, unit, client) = counter(args(10)).await;
    assert_eq!(add(&client, "visits", None).await.unwrap().value, 1);
    assert_eq!(add(&client, "visits", Some(41)).await.unwrap().value, 42);
    let get = Get {
        name: "visits".into(),
    };
    let count: Count = client
        .request_json(&GET, &get, RequestOptions::new())
        .await
        .unwrap();
    assert_eq!(count.value, 42);
    unit.stop().await.unwrap();
}

#[tokio::test]
async fn the_name_limit_is_an_error_reply() {
    let (_broker, unit, client) = counter(args(1)).await;
    add(&client, "a", None).await.unwrap();
    let err = add(&client, "b", None).await.unwrap_err();
    assert_eq!(err.code(), modt::protocol::ErrorCode::TooLarge, "{err}");
    assert_eq!(add(&client, "a", None).await.unwrap().value, 2);
    unit.stop().await.unwrap();
}

#[tokio::test]
async fn a_zero_limit_is_refused_at_build() {
    let err = build(args(0), &Setup::new("unused")).await.unwrap_err();
    assert!(err.to_string().contains("--counter-max-names"), "{err}");
}
