//! Trace context across units, on the embedded broker: a handler that asks another unit passes
//! the trace on (a child `traceparent` with the same trace id and a new span id, the same
//! `x-request-id`), whether the trace came with the request or started from its request id.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use modt::trace::{TraceContext, REQUEST_ID_HEADER, TRACEPARENT};
use modt::{Client, Context, Message, MqttVersion, RequestOptions, Topic, TopicFilter, Unit};
use modt_testkit::{client_id, init_tracing, wait_online, RunningUnit, TestBroker};
use serde_json::{json, Value};

const TP: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/// Unit "front" answers on `front` by asking unit "back" on `back` and passing its answer on;
/// "back" answers with the trace headers it received and the trace its handler runs in.
async fn start(broker: &TestBroker) -> (RunningUnit, RunningUnit, Client, Topic) {
    init_tracing();
    let tag = client_id("trace");
    let front = Topic::new(format!("test/{tag}/front")).unwrap();
    let back = Topic::new(format!("test/{tag}/back")).unwrap();
    let back_unit = Unit::new("back", "test", "1")
        .unit_id(format!("{tag}-back"))
        .route(back.to_filter(), |ctx: Context, msg: Message| async move {
            ctx.reply(&json!({
                "traceparent": msg.header(TRACEPARENT),
                "x_request_id": msg.header(REQUEST_ID_HEADER),
                "trace_id": ctx.trace().map(TraceContext::trace_id),
                "current": TraceContext::current().map(|t| t.trace_id().to_owned()),
            }))
            .await?;
            Ok(())
        });
    let asked = back.clone();
    let front_unit = Unit::new("front", "test", "1")
        .unit_id(format!("{tag}-front"))
        .route(
            TopicFilter::new(front.as_str()).unwrap(),
            move |ctx: Context, _msg: Message| {
                let asked = asked.clone();
                async move {
                    let answer = ctx
                        .client()
                        .request(&asked, &json!({}), RequestOptions::new())
                        .await?;
                    let mut answer: Value = ctx.decode(&answer)?;
                    answer["front_trace_id"] = json!(ctx.trace().map(TraceContext::trace_id));
                    answer.as_object_mut().unwrap().remove("request_id");
                    ctx.reply(&answer).await?;
                    Ok(())
                }
            },
        );
    let client = Client::connect(broker.client_config(&client_id("asker"), MqttVersion::V5))
        .await
        .unwrap();
    let b = RunningUnit::start(back_unit, broker.client_config("back", MqttVersion::V5));
    let f = RunningUnit::start(front_unit, broker.client_config("front", MqttVersion::V5));
    wait_online(&client, &format!("{tag}-back")).await;
    wait_online(&client, &format!("{tag}-front")).await;
    (f, b, client, front)
}

#[tokio::test]
async fn a_handler_passes_the_trace_on() {
    let broker = TestBroker::embedded();
    let (front_unit, back_unit, client, front) = start(&broker).await;

    let opts = RequestOptions::new()
        .header(TRACEPARENT, TP)
        .header(REQUEST_ID_HEADER, "req-42");
    let reply: Value = client
        .request(&front, &json!({}), opts)
        .await
        .unwrap()
        .json()
        .unwrap();
    let seen = reply["traceparent"]
        .as_str()
        .expect("back got a traceparent");
    let child = TraceContext::from_traceparent(seen, None).expect("a valid traceparent");
    assert_eq!(child.trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_ne!(&seen[36..52], "00f067aa0ba902b7", "a new span id: {seen}");
    assert!(
        seen.ends_with("-01"),
        "the sampled flag carries over: {seen}"
    );
    assert_eq!(reply["x_request_id"], "req-42");
    assert_eq!(reply["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_eq!(reply["front_trace_id"], reply["trace_id"]);
    assert_eq!(
        reply["current"], reply["trace_id"],
        "the handler task's current trace"
    );

    front_unit.stop().await.unwrap();
    back_unit.stop().await.unwrap();
    client.shutdown().await;
}

#[tokio::test]
async fn without_a_traceparent_the_request_id_starts_the_trace() {
    let broker = TestBroker::embedded();
    let (front_unit, back_unit, client, front) = start(&broker).await;

    let msg = client
        .request(&front, &json!({}), RequestOptions::new())
        .await
        .unwrap();
    let request_id = msg.correlation_data.clone().expect("an MQTT 5 reply");
    let request_id = String::from_utf8(request_id.to_vec()).unwrap();
    let reply: Value = msg.json().unwrap();
    assert_eq!(reply["front_trace_id"], request_id.as_str());
    assert_eq!(
        reply["trace_id"],
        request_id.as_str(),
        "one trace across both units"
    );
    assert_eq!(
        reply["x_request_id"],
        request_id.as_str(),
        "the first request's id goes on"
    );
    let seen = reply["traceparent"].as_str().unwrap();
    assert!(
        seen.ends_with("-00"),
        "not sampled: MoDT records no spans: {seen}"
    );

    front_unit.stop().await.unwrap();
    back_unit.stop().await.unwrap();
    client.shutdown().await;
}
