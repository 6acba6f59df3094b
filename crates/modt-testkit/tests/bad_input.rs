//! Bad payloads: the unit stays up, the requester gets an error reply when it can be told,
//! and the message lands on `modt/dead-letter/{unit_id}` (docs/protocol.md §5).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use bytes::Bytes;
use modt::protocol::{topics, Ack, DeadLetter, ErrorCode, ErrorReply, PingReply, SessionQuery};
use modt::{Client, Context, Message, MqttVersion, Outgoing, QoS, Topic, Unit};
use modt_testkit::{
    client_id, init_tracing, recv_within, wait_online, BrokerKind, RunningUnit, TestBroker,
};
use serde_json::json;

const STRICT: Topic = Topic::from_static("modt/test/strict");

/// A unit whose payload has a required field (`session_id`), to exercise the runtime.
fn strict_unit(unit_id: &str) -> Unit {
    Unit::new("strict", "test", "0").unit_id(unit_id).route(
        STRICT.to_filter(),
        |ctx: Context, msg: Message| async move {
            let q: SessionQuery = ctx.decode(&msg)?;
            assert!(!q.session_id.is_empty());
            ctx.reply(&Ack::new(ctx.request().request_id.clone()))
                .await?;
            Ok(())
        },
    )
}

async fn bad_input(kind: BrokerKind) {
    init_tracing();
    let Some(broker) = TestBroker::start(kind) else {
        return;
    };
    let unit_id = client_id("strict");
    let unit = RunningUnit::start(
        strict_unit(&unit_id),
        broker.client_config("strict", MqttVersion::V5),
    );
    let client = Client::connect(broker.client_config("req", MqttVersion::V5))
        .await
        .unwrap();
    wait_online(&client, &unit_id).await;
    let dlq = topics::dead_letter(&unit_id).unwrap();
    let mut dead = client
        .subscribe(&dlq.to_filter(), QoS::AtLeastOnce)
        .await
        .unwrap();

    // 1. Not JSON, with an MQTT 5 response topic: error reply there, and dead-lettered.
    let replies = Topic::new(format!("modt/reply/raw-{unit_id}/r1")).unwrap();
    let mut reply_sub = client
        .subscribe(&replies.to_filter(), QoS::AtLeastOnce)
        .await
        .unwrap();
    let mut raw = Outgoing::new(STRICT, Bytes::from_static(b"not json {"));
    raw.response_topic = Some(replies.to_string());
    raw.correlation_data = Some(Bytes::from_static(b"c-1"));
    client.publish(raw).await.unwrap();
    let err: ErrorReply = recv_within(&mut reply_sub, Duration::from_secs(5), "error reply")
        .await
        .json()
        .unwrap();
    assert_eq!(err.error.code, ErrorCode::BadRequest);
    assert_eq!(err.request_id.as_deref(), Some("c-1"));
    assert!(
        err.error.message.contains("not JSON"),
        "{}",
        err.error.message
    );
    let dl: DeadLetter = recv_within(&mut dead, Duration::from_secs(5), "dead letter 1")
        .await
        .json()
        .unwrap();
    assert_eq!(dl.topic, STRICT.as_str());
    assert_eq!(dl.payload.as_deref(), Some("not json {"));
    assert_eq!(dl.code, ErrorCode::BadRequest);

    // 2. JSON missing the required field, as a correlated request: typed remote error.
    let e = client
        .request_json::<_, Ack>(
            &STRICT,
            &json!({"user_id": "u"}),
            modt::RequestOptions::new(),
        )
        .await
        .unwrap_err();
    match e.error_reply() {
        Some(body) => {
            assert_eq!(body.code, ErrorCode::BadRequest);
            assert!(body.message.contains("session_id"), "{}", body.message);
        }
        other => panic!("expected a remote bad_request, got {other:?}"),
    }
    let dl: DeadLetter = recv_within(&mut dead, Duration::from_secs(5), "dead letter 2")
        .await
        .json()
        .unwrap();
    assert!(dl.reason.contains("session_id"), "{}", dl.reason);

    // 3. Not UTF-8 at all, with no way to reply: still dead-lettered, as base64.
    client
        .publish(Outgoing::new(STRICT, Bytes::from_static(b"\xff\xfe")))
        .await
        .unwrap();
    let dl: DeadLetter = recv_within(&mut dead, Duration::from_secs(5), "dead letter 3")
        .await
        .json()
        .unwrap();
    assert_eq!(dl.payload, None);
    assert_eq!(dl.payload_base64.as_deref(), Some("//4="));

    // 4. 200 KB of control characters: 1.2 MB as JSON text, more than a packet holds. The
    // dead letter carries the first 64 KiB and says so (it used to be skipped).
    client
        .publish(Outgoing::new(STRICT, Bytes::from(vec![1u8; 200_000])))
        .await
        .unwrap();
    let dl: DeadLetter = recv_within(&mut dead, Duration::from_secs(5), "dead letter 4")
        .await
        .json()
        .unwrap();
    assert!(dl.truncated);
    assert_eq!(dl.payload_bytes, 200_000);
    assert_eq!(
        dl.payload.map(|p| p.len()),
        Some(modt::protocol::MAX_DEAD_LETTER_PAYLOAD)
    );

    // 5. A response topic that is no private reply topic (here the unit's own presence): the
    // unit must not publish there under its account. Refused and dead-lettered, nothing sent.
    let status = topics::unit_status(&unit_id).unwrap();
    let mut status_sub = client
        .subscribe(&status.to_filter(), QoS::AtLeastOnce)
        .await
        .unwrap();
    recv_within(&mut status_sub, Duration::from_secs(5), "retained status").await;
    let mut hijack = Outgoing::new(
        STRICT,
        serde_json::to_vec(&SessionQuery::new("s1")).unwrap(),
    );
    hijack.response_topic = Some(status.to_string());
    client.publish(hijack).await.unwrap();
    let dl: DeadLetter = recv_within(&mut dead, Duration::from_secs(5), "dead letter 5")
        .await
        .json()
        .unwrap();
    assert!(
        dl.reason.contains("not a private reply topic"),
        "{}",
        dl.reason
    );
    assert!(
        status_sub.try_recv().is_none(),
        "nothing published on the status topic"
    );

    // The unit is still up and serving, and counted what happened.
    let ack: Ack = client
        .request_json(
            &STRICT,
            &SessionQuery::new("s1"),
            modt::RequestOptions::new(),
        )
        .await
        .unwrap();
    assert_eq!(ack.status, modt::protocol::ReplyStatus::Ok);
    let ping: PingReply = client
        .request_json(
            &topics::unit_ping(&unit_id).unwrap(),
            &json!({}),
            modt::RequestOptions::new(),
        )
        .await
        .unwrap();
    assert_eq!(ping.dead_letters, 5);
    assert_eq!(ping.errors, 5);
    assert!(ping.handled >= 4, "{ping:?}");

    client.shutdown().await;
    unit.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_on_the_embedded_broker() {
    bad_input(BrokerKind::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_on_mosquitto() {
    bad_input(BrokerKind::Mosquitto).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_overlong_request_id_from_a_raw_client_gets_a_bad_request() {
    init_tracing();
    let broker = TestBroker::embedded();
    let unit_id = client_id("strict");
    let unit = RunningUnit::start(
        strict_unit(&unit_id),
        broker.client_config("strict", MqttVersion::V311),
    );
    let client = Client::connect(broker.client_config("raw", MqttVersion::V311))
        .await
        .unwrap();
    wait_online(&client, &unit_id).await;
    let replies = Topic::new(format!("modt/reply/raw-{unit_id}/r1")).unwrap();
    let mut reply_sub = client
        .subscribe(&replies.to_filter(), QoS::AtLeastOnce)
        .await
        .unwrap();
    let body =
        json!({"session_id": "s", "request_id": "y".repeat(129), "reply_to": replies.as_str()});
    client.publish_json(&STRICT, &body).await.unwrap();
    let err: ErrorReply = recv_within(&mut reply_sub, Duration::from_secs(5), "error reply")
        .await
        .json()
        .unwrap();
    assert_eq!(err.error.code, ErrorCode::BadRequest);
    assert!(
        err.error.message.contains("request_id"),
        "{}",
        err.error.message
    );
    client.shutdown().await;
    unit.stop().await.unwrap();
}

const HUGE: Topic = Topic::from_static("modt/test/huge");

/// A reply over the packet limit: the client refuses it with `TooLarge` instead of handing it
/// to the connection (where it would end the connection and lose what was in flight), the
/// requester is told, and the unit and both clients carry on.
async fn oversized_messages(kind: BrokerKind, version: MqttVersion) {
    init_tracing();
    let Some(broker) = TestBroker::start(kind) else {
        return;
    };
    let unit_id = client_id("huge");
    let unit = Unit::new("huge", "test", "0").unit_id(&unit_id).route(
        HUGE.to_filter(),
        |ctx: Context, _msg: Message| async move {
            let filler = "x".repeat(modt::MAX_PACKET_BYTES);
            ctx.reply(&json!({ "filler": filler })).await?;
            Ok(())
        },
    );
    let unit = RunningUnit::start(unit, broker.client_config("huge", version));
    let client = Client::connect(broker.client_config("req", version))
        .await
        .unwrap();
    wait_online(&client, &unit_id).await;
    let generation = client.connection().borrow().generation;

    // 1. Publishing one directly fails at once, naming the sizes.
    let big = Outgoing::new(HUGE, vec![b' '; modt::MAX_PACKET_BYTES]);
    match client.publish(big).await {
        Err(e) if e.kind() == modt::error::PublishErrorKind::TooLarge => {
            let limit = modt::MAX_PACKET_BYTES.to_string();
            assert!(e.to_string().contains(&limit), "{e}");
        }
        other => panic!("expected TooLarge, got {other:?}"),
    }

    // 2. A handler whose reply is too large: the requester gets a too_large error reply.
    let err = client
        .request_json::<_, serde_json::Value>(
            &HUGE,
            &json!({}),
            modt::RequestOptions::new().timeout(Duration::from_secs(5)),
        )
        .await
        .unwrap_err();
    match err.error_reply() {
        Some(body) => {
            assert_eq!(body.code, ErrorCode::TooLarge);
            assert!(body.message.contains("packet limit"), "{}", body.message);
        }
        other => panic!("expected a too_large error reply, got {other:?}"),
    }

    // 3. Nobody lost their connection: the unit still answers, on the same connection.
    let ping: PingReply = client
        .request_json(
            &topics::unit_ping(&unit_id).unwrap(),
            &json!({}),
            modt::RequestOptions::new(),
        )
        .await
        .unwrap();
    assert!(ping.errors >= 1, "{ping:?}");
    assert_eq!(client.connection().borrow().generation, generation);

    client.shutdown().await;
    unit.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_messages_are_refused_before_the_wire_embedded_v5() {
    oversized_messages(BrokerKind::Embedded, MqttVersion::V5).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_messages_are_refused_before_the_wire_mosquitto_v311() {
    oversized_messages(BrokerKind::Mosquitto, MqttVersion::V311).await;
}
