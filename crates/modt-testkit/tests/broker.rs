//! The broker seams: username/password auth, per-client ACLs and response topics through the
//! embedded broker's policy hooks, `$share` subscriptions and retained messages, and TLS to a real Mosquitto.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use modt::protocol::topics;
use modt::{Client, ClientConfig, MqttVersion, Outgoing, QoS, TlsConfig, Topic, TopicFilter};
use modt_broker::{AccessPolicy, BrokerConfig, ClientIdentity, EmbeddedBroker};
use modt_testkit::{client_id, init_tracing, recv_within, wait_online, RunningUnit, TestBroker};
use serde_json::{json, Value};

/// One user with one password; it may not publish under `modt/forbidden/` nor subscribe under
/// `modt/secret/`. Anonymous clients are refused.
#[derive(Debug)]
struct OneUser;

impl AccessPolicy for OneUser {
    fn authenticate(&self, who: ClientIdentity<'_>, password: Option<&[u8]>) -> bool {
        who.username == Some("unit-a") && password == Some(b"s3cret".as_slice())
    }
    fn may_publish(&self, _: ClientIdentity<'_>, topic: &str) -> bool {
        !topic.starts_with("modt/forbidden/")
    }
    fn may_subscribe(&self, _: ClientIdentity<'_>, filter: &str) -> bool {
        !filter.starts_with("modt/secret/")
    }
    fn may_name_response_topic(&self, _: ClientIdentity<'_>, response_topic: &str) -> bool {
        response_topic.starts_with("modt/reply/unit-a/")
    }
    fn describe(&self) -> String {
        "one user".into()
    }
}

fn start_with(policy: impl AccessPolicy) -> EmbeddedBroker {
    EmbeddedBroker::start(
        BrokerConfig::listen(([127, 0, 0, 1], 0).into()),
        Arc::new(policy),
    )
    .unwrap()
}

fn config(broker: &EmbeddedBroker, version: MqttVersion) -> ClientConfig {
    let mut cfg = ClientConfig::new("127.0.0.1", broker.local_addr().port(), client_id("t"))
        .with_version(version);
    cfg.connect_timeout = Duration::from_secs(3);
    cfg
}

async fn auth_and_acl(version: MqttVersion) {
    init_tracing();
    let broker = start_with(OneUser);

    let anonymous = Client::connect(config(&broker, version)).await.unwrap_err();
    assert!(
        anonymous.kind() == modt::error::ConnectErrorKind::Refused,
        "{anonymous:?}"
    );
    let wrong = Client::connect(config(&broker, version).with_credentials("unit-a", "nope"))
        .await
        .unwrap_err();
    assert_eq!(
        wrong.kind(),
        modt::error::ConnectErrorKind::Refused,
        "{wrong:?}"
    );
    assert!(
        !wrong.to_string().contains("nope"),
        "the password is not in the error: {wrong}"
    );

    let client = Client::connect(config(&broker, version).with_credentials("unit-a", "s3cret"))
        .await
        .unwrap();
    let err = client
        .subscribe(
            &TopicFilter::new("modt/secret/#").unwrap(),
            QoS::AtLeastOnce,
        )
        .await
        .unwrap_err();
    assert!(
        err.kind() == modt::error::SubscribeErrorKind::Refused,
        "{err:?}"
    );

    // A denied publish does not reach subscribers; the allowed one after it does.
    let mut all = client
        .subscribe(&TopicFilter::new("modt/#").unwrap(), QoS::AtLeastOnce)
        .await
        .unwrap();
    client
        .publish_json(&Topic::new("modt/forbidden/x").unwrap(), &json!({"n": 1}))
        .await
        .unwrap();
    client
        .publish_json(&Topic::new("modt/allowed/x").unwrap(), &json!({"n": 2}))
        .await
        .unwrap();
    let m = recv_within(&mut all, Duration::from_secs(5), "the allowed message").await;
    assert_eq!(m.topic, "modt/allowed/x");
    assert!(
        tokio::time::timeout(Duration::from_millis(300), all.recv())
            .await
            .is_err(),
        "nothing else arrives"
    );
    if version == MqttVersion::V5 {
        // A message naming a response topic the policy refuses reaches nobody either.
        let mut named = Outgoing::new(Topic::new("modt/allowed/named").unwrap(), b"{}".to_vec());
        named.response_topic = Some("modt/units/identify/status".into());
        client.publish(named).await.unwrap();
        let mut own = Outgoing::new(Topic::new("modt/allowed/own").unwrap(), b"{}".to_vec());
        own.response_topic = Some(format!("{}/r1", client.reply_root()));
        client.publish(own).await.unwrap();
        let m = recv_within(&mut all, Duration::from_secs(5), "the allowed message").await;
        assert_eq!(m.topic, "modt/allowed/own");
    }
    client.shutdown().await;
    tokio::task::spawn_blocking(move || broker.stop())
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_and_acl_hooks_v5() {
    auth_and_acl(MqttVersion::V5).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_and_acl_hooks_v311() {
    auth_and_acl(MqttVersion::V311).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shared_subscriptions_split_the_load_and_retained_messages_reach_late_subscribers() {
    init_tracing();
    let broker = TestBroker::embedded();
    let shared = TopicFilter::new("$share/workers/modt/test/jobs").unwrap();
    let a = Client::connect(broker.client_config("a", MqttVersion::V5))
        .await
        .unwrap();
    let b = Client::connect(broker.client_config("b", MqttVersion::V311))
        .await
        .unwrap();
    let mut sa = a.subscribe(&shared, QoS::AtLeastOnce).await.unwrap();
    let mut sb = b.subscribe(&shared, QoS::AtLeastOnce).await.unwrap();
    let jobs = Topic::new("modt/test/jobs").unwrap();
    let publisher = Client::connect(broker.client_config("p", MqttVersion::V5))
        .await
        .unwrap();
    for i in 0..40 {
        publisher
            .publish_json(&jobs, &json!({"i": i}))
            .await
            .unwrap();
    }
    let mut seen = Vec::new();
    while seen.len() < 40 {
        let m = tokio::select! {
            Some(m) = sa.recv() => m,
            Some(m) = sb.recv() => m,
            _ = tokio::time::sleep(Duration::from_secs(5)) => panic!("only {} of 40 jobs delivered", seen.len()),
        };
        seen.push(m.json::<Value>().unwrap()["i"].as_i64().unwrap());
    }
    seen.sort_unstable();
    assert_eq!(seen, (0..40).collect::<Vec<_>>(), "each job exactly once");
    assert!(tokio::time::timeout(Duration::from_millis(200), sa.recv())
        .await
        .is_err());

    let retained = Topic::new("modt/test/retained").unwrap();
    publisher
        .publish(Outgoing::new(retained.clone(), b"kept".to_vec()).retain(true))
        .await
        .unwrap();
    let late = Client::connect(broker.client_config("late", MqttVersion::V311))
        .await
        .unwrap();
    let mut s = late
        .subscribe(&retained.to_filter(), QoS::AtLeastOnce)
        .await
        .unwrap();
    let m = recv_within(&mut s, Duration::from_secs(5), "the retained message").await;
    assert!(m.retain);
    assert_eq!(&m.payload[..], b"kept");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_reply_over_tls_to_mosquitto() {
    init_tracing();
    let Some((broker, ca_file)) = TestBroker::mosquitto_tls() else {
        return;
    };
    let tls = |mut cfg: ClientConfig| {
        cfg.tls = Some(TlsConfig {
            ca_file: Some(ca_file.clone()),
        });
        cfg
    };
    let unit_id = client_id("echo-tls");
    let unit = RunningUnit::start(
        modt_echo::unit().unit_id(&unit_id),
        tls(broker.client_config("echo", MqttVersion::V5)),
    );
    let client = Client::connect(tls(broker.client_config("req", MqttVersion::V311)))
        .await
        .unwrap();
    wait_online(&client, &unit_id).await;
    let r: Value = client
        .request_json(
            &topics::ECHO,
            &json!({"over": "tls"}),
            modt::RequestOptions::new(),
        )
        .await
        .unwrap();
    assert_eq!(r["over"], "tls");

    // Plain TCP to the TLS listener does not get a connection.
    let mut plain = broker.client_config("plain", MqttVersion::V5);
    plain.connect_timeout = Duration::from_secs(2);
    assert!(Client::connect(plain).await.is_err());
    // Nor does TLS that does not trust the broker's CA.
    let mut untrusted = broker.client_config("untrusted", MqttVersion::V5);
    untrusted.connect_timeout = Duration::from_secs(2);
    untrusted.tls = Some(TlsConfig { ca_file: None });
    assert!(Client::connect(untrusted).await.is_err());

    client.shutdown().await;
    unit.stop().await.unwrap();
}

/// A short-lived publisher (`modt pub`, `modt sim devices`): a burst of QoS 1 messages and at
/// once a clean shutdown. Every message must reach a subscriber: the client reads its
/// connection until the broker closes it, instead of closing with the broker's last PUBACKs
/// unread (which resets the connection, and the broker drops what it had not read yet: 2 of
/// 80 arrived on the embedded broker before).
async fn burst_then_shutdown(kind: modt_testkit::BrokerKind) {
    const BURST: usize = 80;
    init_tracing();
    let Some(broker) = TestBroker::start(kind) else {
        return;
    };
    let listener = Client::connect(broker.client_config("burst-sub", MqttVersion::V5))
        .await
        .unwrap();
    let filter = TopicFilter::new("modt/burst/#").unwrap();
    let mut sub = listener.subscribe(&filter, QoS::AtLeastOnce).await.unwrap();
    let publisher = Client::connect(broker.client_config("burst-pub", MqttVersion::V5))
        .await
        .unwrap();
    let topic = Topic::new("modt/burst/x").unwrap();
    let payload = vec![b'x'; 2048];
    for _ in 0..BURST {
        let msg = Outgoing::new(topic.clone(), payload.clone()).qos(QoS::AtLeastOnce);
        publisher.publish(msg).await.unwrap();
    }
    publisher.shutdown().await;
    for i in 0..BURST {
        recv_within(
            &mut sub,
            Duration::from_secs(5),
            &format!("message {i} of {BURST}"),
        )
        .await;
    }
    listener.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_then_shutdown_loses_nothing_on_the_embedded_broker() {
    burst_then_shutdown(modt_testkit::BrokerKind::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_then_shutdown_loses_nothing_on_a_stock_mosquitto() {
    burst_then_shutdown(modt_testkit::BrokerKind::MosquittoStock).await;
}
