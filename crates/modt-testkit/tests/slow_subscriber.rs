//! A subscriber that stops reading holds up only itself: other subscriptions on the same
//! connection keep getting their messages, and its own arrive in order once it reads again.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use modt::{Client, MqttVersion, Outgoing, QoS, Topic, TopicFilter};
use modt_testkit::{init_tracing, recv_within, BrokerKind, TestBroker};

async fn only_the_slow_one_waits(kind: BrokerKind) {
    init_tracing();
    let Some(broker) = TestBroker::start(kind) else {
        return;
    };
    let mut config = broker.client_config("two-subs", MqttVersion::V5);
    config.subscription_capacity = 4;
    let client = Client::connect(config).await.unwrap();
    let mut stuck = client
        .subscribe(
            &TopicFilter::new("modt/test/stuck/#").unwrap(),
            QoS::AtLeastOnce,
        )
        .await
        .unwrap();
    let mut lively = client
        .subscribe(
            &TopicFilter::new("modt/test/lively").unwrap(),
            QoS::AtLeastOnce,
        )
        .await
        .unwrap();

    // Far more than the stuck queue holds; nobody reads it for now.
    for i in 0..50 {
        let topic = Topic::new(format!("modt/test/stuck/{i}")).unwrap();
        client.publish(Outgoing::new(topic, vec![])).await.unwrap();
    }
    let lively_topic = Topic::new("modt/test/lively").unwrap();
    for i in 0..3 {
        client
            .publish(Outgoing::new(
                lively_topic.clone(),
                format!("{i}").into_bytes(),
            ))
            .await
            .unwrap();
        let m = recv_within(&mut lively, Duration::from_secs(5), "a lively message").await;
        assert_eq!(m.payload.as_ref(), format!("{i}").as_bytes(), "{kind:?}");
    }

    // The stuck subscriber reads again: all 50, in order.
    for i in 0..50 {
        let m = recv_within(&mut stuck, Duration::from_secs(5), "a held message").await;
        assert_eq!(m.topic, format!("modt/test/stuck/{i}"), "{kind:?}");
    }
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stuck_subscriber_holds_up_only_itself_embedded() {
    only_the_slow_one_waits(BrokerKind::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stuck_subscriber_holds_up_only_itself_mosquitto() {
    only_the_slow_one_waits(BrokerKind::Mosquitto).await;
}
