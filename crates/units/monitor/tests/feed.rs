//! The live stream over the WebSocket, against real brokers: masking, the buffer a fresh
//! page gets, and a burst that keeps memory bounded and tells a slow page what it missed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use modt::protocol::topics;
use modt::{Outgoing, QoS, Topic};
use modt_monitor::MonitorConfig;
use modt_testkit::{wait_until, BrokerKind, TestBroker};
use serde_json::json;
use support::{frame_where, messages, WAIT};

async fn masks_and_buffers(kind: BrokerKind) {
    let Some(broker) = TestBroker::start(kind) else {
        return;
    };
    let client = support::client(&broker).await;
    let identify = support::start_identify(&broker, &client).await;
    let monitor = support::start_monitor(&broker, &client, MonitorConfig::default()).await;
    let sid = identify.admin_session.clone();

    // Published before any page is open: the buffer keeps it for the next page.
    let early = Topic::new("test/monitor/early").unwrap();
    client
        .publish_json(
            &early,
            &json!({"session_id": "early-secret-1234", "user_id": "u1", "nested": [{"Password": "pw-secret"}]}),
        )
        .await
        .unwrap();
    wait_until(WAIT, "the monitor took in the early message", || async {
        monitor.live.count_of(early.as_str()) == 1
    })
    .await;

    let mut page = support::open_feed(&monitor.url, "", Some(&sid), None)
        .await
        .unwrap();
    let (history, raw) = frame_where(&mut page, "history", |_| true).await;
    assert_eq!(history["filter"], "#");
    let seen = messages(&history)
        .iter()
        .find(|m| m["topic"] == early.as_str())
        .expect("the buffered message is in the history");
    assert_eq!(seen["json"]["session_id"], modt_monitor::mask::MASK);
    assert_eq!(seen["json"]["user_id"], "u1");
    assert_eq!(
        seen["json"]["nested"][0]["Password"],
        modt_monitor::mask::MASK
    );
    assert_eq!(seen["masked"], 2);
    assert!(!raw.contains("early-secret-1234") && !raw.contains("pw-secret"));

    // Live: a legacy auth/success carries a session id; the page sees it masked.
    let login = r#"{"user_id":"u2","session_id":"live-secret-5678","role":"user"}"#;
    client
        .publish(Outgoing::new(topics::AUTH_SUCCESS, login).qos(QoS::AtLeastOnce))
        .await
        .unwrap();
    let (batch, raw) = frame_where(&mut page, "batch", |f| {
        messages(f)
            .iter()
            .any(|m| m["topic"] == topics::AUTH_SUCCESS.as_str())
    })
    .await;
    let m = messages(&batch)
        .iter()
        .find(|m| m["topic"] == topics::AUTH_SUCCESS.as_str())
        .unwrap();
    assert_eq!(m["json"]["session_id"], modt_monitor::mask::MASK);
    assert_eq!(
        (m["qos"].as_u64(), m["retain"].as_bool()),
        (Some(1), Some(false))
    );
    assert_eq!(m["size"].as_u64(), Some(login.len() as u64));
    assert!(!raw.contains("live-secret-5678"));

    // Text payloads are shown as text, untouched; a retained one says so.
    client
        .publish(
            Outgoing::new(Topic::new("test/monitor/text").unwrap(), "plain words")
                .qos(QoS::AtMostOnce)
                .retain(true),
        )
        .await
        .unwrap();
    let (batch, _) = frame_where(&mut page, "batch", |f| {
        messages(f)
            .iter()
            .any(|m| m["topic"] == "test/monitor/text")
    })
    .await;
    let m = messages(&batch)
        .iter()
        .find(|m| m["topic"] == "test/monitor/text")
        .unwrap();
    assert_eq!(m["text"], "plain words");
    assert_eq!(m["qos"], 0);

    // A filter change: the buffered messages that match, then only matches.
    use futures::SinkExt as _;
    page.send(tokio_tungstenite::tungstenite::Message::text(
        r#"{"filter":"test/+/early"}"#,
    ))
    .await
    .unwrap();
    let (history, _) = frame_where(&mut page, "history", |_| true).await;
    assert_eq!(history["filter"], "test/+/early");
    let topics_seen: Vec<_> = messages(&history)
        .iter()
        .map(|m| m["topic"].clone())
        .collect();
    assert_eq!(topics_seen, vec![json!("test/monitor/early")]);
    page.send(tokio_tungstenite::tungstenite::Message::text(
        r#"{"filter":"a/#/b"}"#,
    ))
    .await
    .unwrap();
    let (err, _) = frame_where(&mut page, "error", |_| true).await;
    assert!(err["error"].as_str().unwrap().contains("a/#/b"), "{err}");

    // Stats with the topic tree arrive by themselves.
    let (stats, _) = frame_where(&mut page, "stats", |s| s["total"].as_u64() >= Some(3)).await;
    assert!(stats["tree"]["children"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["name"] == "test"));

    drop(page);
    monitor.unit.stop().await.unwrap();
    identify.unit.stop().await.unwrap();
}

#[tokio::test]
async fn masks_and_buffers_on_the_embedded_broker() {
    masks_and_buffers(BrokerKind::Embedded).await;
}

#[tokio::test]
async fn masks_and_buffers_on_mosquitto() {
    masks_and_buffers(BrokerKind::Mosquitto).await;
}

#[tokio::test]
async fn a_burst_keeps_the_buffer_bounded_and_tells_a_slow_page_what_it_missed() {
    const BURST: u64 = 20_000;
    const BUFFER: usize = 100;
    let broker = TestBroker::embedded();
    let client = support::client(&broker).await;
    let identify = support::start_identify(&broker, &client).await;
    let config = MonitorConfig {
        buffer: BUFFER,
        feed_queue: 64,
        ..MonitorConfig::default()
    };
    let monitor = support::start_monitor(&broker, &client, config).await;
    let sid = identify.admin_session.clone();
    let topic = Topic::new("burst/x").unwrap();

    // A page that does not read while the burst comes.
    let mut slow = support::open_feed(&monitor.url, "?filter=burst%2F%23", Some(&sid), None)
        .await
        .unwrap();
    let pad = "x".repeat(1024);
    for i in 0..BURST {
        let body = format!(r#"{{"i":{i},"token":"tok-{i}","pad":"{pad}"}}"#);
        client
            .publish(Outgoing::new(topic.clone(), body).qos(QoS::AtLeastOnce))
            .await
            .unwrap();
    }
    wait_until(
        Duration::from_secs(60),
        "the monitor took in the burst",
        || async { monitor.live.count_of(topic.as_str()) == BURST },
    )
    .await;
    assert_eq!(monitor.live.buffered(), BUFFER, "the buffer stays at N");

    // A fresh page gets exactly the last N.
    let mut fresh = support::open_feed(&monitor.url, "?filter=burst%2F%23", Some(&sid), None)
        .await
        .unwrap();
    let (history, _) = frame_where(&mut fresh, "history", |_| true).await;
    let ids: Vec<u64> = messages(&history)
        .iter()
        .map(|m| m["json"]["i"].as_u64().unwrap())
        .collect();
    // The buffer holds N of all traffic; the page's own sign-in (a session query and its
    // reply) may have pushed out the oldest burst messages.
    assert!(
        ids.len() <= BUFFER && ids.len() >= BUFFER - 4,
        "{}",
        ids.len()
    );
    let first = BURST - ids.len() as u64;
    assert_eq!(
        ids,
        (first..BURST).collect::<Vec<_>>(),
        "the newest, in order"
    );
    drop(fresh);

    // The slow page now reads: what it got plus what it was told it missed is everything.
    let (history, _) = frame_where(&mut slow, "history", |_| true).await;
    assert!(messages(&history).is_empty());
    let (mut got, mut dropped, mut last) = (0u64, 0u64, None);
    while got + dropped < BURST {
        let (frame, raw) = frame_where(&mut slow, "batch", |_| true).await;
        assert!(!raw.contains("tok-"), "tokens are masked");
        dropped += frame["dropped"].as_u64().unwrap();
        for m in messages(&frame) {
            let i = m["json"]["i"].as_u64().unwrap();
            assert!(last.is_none_or(|l| i > l), "in order");
            last = Some(i);
            got += 1;
        }
    }
    assert_eq!(got + dropped, BURST);
    assert!(dropped > 0, "the slow page missed some ({got} shown)");
    assert!(got >= 64, "it got at least a queue's worth");
    eprintln!("slow page: {got} shown, {dropped} dropped and reported");

    drop(slow);
    monitor.unit.stop().await.unwrap();
    identify.unit.stop().await.unwrap();
}
