//! Prometheus metrics on real servers (embedded broker, ephemeral ports):
//! - a web unit's listener answers `GET /metrics` with its per-route HTTP series (labelled with
//!   the route pattern, never the path) and the unit's own counters, without a line of the
//!   unit's own for either;
//! - the metrics listener alone serves a unit without a web side.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use axum::extract::Path;
use axum::routing::get;
use axum::Router;
use modt::unit::ServiceError;
use modt::{Client, Context, Message, MqttVersion, RequestOptions, Topic, TopicFilter, Unit};
use modt_testkit::{client_id, wait_online, wait_until, RunningUnit, TestBroker};
use serde_json::json;
use tokio_util::sync::CancellationToken;

const WAIT: Duration = Duration::from_secs(10);

/// A unit answering requests on `topic` (its own, so that tests do not share series).
fn echo_unit(unit_id: &str, topic: &str) -> Unit {
    Unit::new("metrics-test", "test", "1")
        .unit_id(unit_id)
        .route(
            TopicFilter::new(topic).unwrap(),
            |ctx: Context, msg: Message| async move {
                let body: serde_json::Value = ctx.decode(&msg)?;
                ctx.reply(&body).await?;
                Ok(())
            },
        )
}

async fn ask(client: &Client, topic: &str) {
    client
        .request(
            &Topic::new(topic).unwrap(),
            &json!({"n": 1}),
            RequestOptions::new(),
        )
        .await
        .unwrap();
}

async fn scrape(url: &str) -> String {
    let res = reqwest::get(format!("{url}/metrics")).await.unwrap();
    assert_eq!(res.status(), 200);
    let content_type = res.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    res.text().await.unwrap()
}

/// The value of the series `name` whose labels include all of `labels`.
fn value(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    text.lines()
        .filter(|l| l.starts_with(&format!("{name}{{")))
        .find(|l| {
            labels
                .iter()
                .all(|(k, v)| l.contains(&format!("{k}=\"{v}\"")))
        })
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

/// Scrapes until the series reads `want` (the unit counts a handling after its reply is
/// sent), then returns that scrape.
async fn wait_for_value(url: &str, name: &str, labels: &[(&str, &str)], want: f64) -> String {
    let what = format!("{name} {labels:?} = {want}");
    wait_until(WAIT, &what, || async {
        value(&scrape(url).await, name, labels) == Some(want)
    })
    .await;
    scrape(url).await
}

#[tokio::test]
async fn a_web_unit_exposes_its_routes_and_its_counters() {
    modt_web::metrics::install().expect("the test binary's only recorder");
    let broker = TestBroker::embedded();
    let unit_id = client_id("metrics-web");
    let topic = format!("test/{unit_id}/echo");
    let listener = modt_web::serve::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    // The unit's router knows nothing of metrics.
    let router = Router::new().route(
        "/items/{id}",
        get(|Path(id): Path<u32>| async move { format!("item {id}") }),
    );
    let unit = echo_unit(&unit_id, &topic).service("web", move |ctx| async move {
        modt_web::serve::serve(listener, router, ctx.shutdown).await?;
        Ok::<(), ServiceError>(())
    });
    let running = RunningUnit::start(unit, broker.client_config("web", MqttVersion::V5));
    let client = Client::connect(broker.client_config(&client_id("asker"), MqttVersion::V5))
        .await
        .unwrap();
    wait_online(&client, &unit_id).await;

    ask(&client, &topic).await;
    for path in ["/items/7", "/items/8", "/no/such/page"] {
        reqwest::get(format!("{url}{path}")).await.unwrap();
    }

    let unit = ("unit", unit_id.as_str());
    let text = wait_for_value(&url, "modt_unit_handled_total", &[unit], 1.0).await;
    let route = [
        unit,
        ("route", "/items/{id}"),
        ("method", "GET"),
        ("status", "2xx"),
    ];
    assert_eq!(
        value(&text, "modt_http_requests_total", &route),
        Some(2.0),
        "{text}"
    );
    let unmatched = [unit, ("route", "unmatched"), ("status", "4xx")];
    assert_eq!(
        value(&text, "modt_http_requests_total", &unmatched),
        Some(1.0),
        "{text}"
    );
    assert!(
        !text.contains("/items/7") && !text.contains("/no/such"),
        "paths never become labels"
    );
    assert_eq!(
        value(&text, "modt_http_request_duration_seconds_count", &route),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        value(&text, "modt_unit_errors_total", &[unit]),
        Some(0.0),
        "{text}"
    );
    assert_eq!(
        value(&text, "modt_unit_in_flight", &[unit]),
        Some(0.0),
        "{text}"
    );
    assert_eq!(
        value(&text, "modt_broker_connected", &[unit]),
        Some(1.0),
        "{text}"
    );
    let filter = [unit, ("filter", topic.as_str())];
    assert_eq!(
        value(&text, "modt_unit_handle_duration_seconds_count", &filter),
        Some(1.0),
        "{text}"
    );
    assert!(
        text.contains("# TYPE modt_unit_handle_duration_seconds histogram"),
        "a histogram with buckets, not a summary: {text}"
    );

    running.stop().await.unwrap();
    client.shutdown().await;
}

#[tokio::test]
async fn the_metrics_listener_serves_a_unit_without_a_web_side() {
    modt_web::metrics::install().expect("the test binary's only recorder");
    let broker = TestBroker::embedded();
    let unit_id = client_id("metrics-mqtt");
    let topic = format!("test/{unit_id}/echo");
    let running = RunningUnit::start(
        echo_unit(&unit_id, &topic),
        broker.client_config("mqtt", MqttVersion::V5),
    );
    let listener = modt_web::serve::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let stop = CancellationToken::new();
    let serving = tokio::spawn(modt_web::metrics::serve_listener(listener, stop.clone()));
    let client = Client::connect(broker.client_config(&client_id("asker"), MqttVersion::V5))
        .await
        .unwrap();
    wait_online(&client, &unit_id).await;

    ask(&client, &topic).await;
    ask(&client, &topic).await;
    wait_for_value(&url, "modt_unit_handled_total", &[("unit", &unit_id)], 2.0).await;
    let other = reqwest::get(format!("{url}/")).await.unwrap();
    assert_eq!(
        other.status(),
        404,
        "the metrics listener serves /metrics only"
    );

    stop.cancel();
    serving.await.unwrap().unwrap();
    running.stop().await.unwrap();
    client.shutdown().await;
}
