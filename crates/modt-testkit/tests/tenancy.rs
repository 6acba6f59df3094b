//! Tenancy and scale seams of the SDK on a real broker: two systems in different topic
//! namespaces share one broker without seeing each other's requests, and replicas of a unit
//! on a shared route (`$share`) split the work, each request answered exactly once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use modt::protocol::{topics, Namespace};
use modt::{Client, Context, Message, MqttVersion, QoS, RequestOptions, TopicFilter, Unit};
use modt_testkit::{init_tracing, recv_within, wait_online, BrokerKind, RunningUnit, TestBroker};
use serde_json::{json, Value};

/// An echo unit that also says which system answered, and counts what it handled.
fn echo(unit_id: &str, system: &'static str, shared: bool, handled: Arc<AtomicUsize>) -> Unit {
    let handler = move |ctx: Context, msg: Message| {
        let handled = handled.clone();
        async move {
            let mut body: serde_json::Map<String, Value> = ctx.decode(&msg)?;
            body.remove("reply_to");
            body.remove("request_id");
            body.insert("system".into(), json!(system));
            handled.fetch_add(1, Ordering::SeqCst);
            ctx.answer(&topics::ECHO_REPLY, &body).await
        }
    };
    let unit = Unit::new("echo", "echo", "0").unit_id(unit_id);
    match shared {
        true => unit.route_shared(topics::ECHO.to_filter(), handler),
        false => unit.route(topics::ECHO.to_filter(), handler),
    }
}

async fn client_in(broker: &TestBroker, ns: &Namespace, version: MqttVersion) -> Client {
    let cfg = broker
        .client_config("req", version)
        .with_namespace(ns.clone());
    Client::connect(cfg).await.unwrap()
}

async fn two_systems_on_one_broker(kind: BrokerKind) {
    init_tracing();
    let Some(broker) = TestBroker::start(kind) else {
        return;
    };
    let (alpha, beta) = (
        Namespace::new("alpha").unwrap(),
        Namespace::new("beta").unwrap(),
    );
    // Everything on the wire, seen from outside both namespaces.
    let watcher = Client::connect(broker.client_config("watch", MqttVersion::V5))
        .await
        .unwrap();
    let mut wire = watcher
        .subscribe(&TopicFilter::new("#").unwrap(), QoS::AtLeastOnce)
        .await
        .unwrap();
    // One unit names its namespace itself, the other takes it from its client config.
    let (a_count, b_count) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let a = echo("echo", "alpha", false, a_count.clone()).namespace(alpha.clone());
    let a = RunningUnit::start(a, broker.client_config("echo", MqttVersion::V5));
    let b_config = broker
        .client_config("echo", MqttVersion::V311)
        .with_namespace(beta.clone());
    let b = RunningUnit::start(echo("echo", "beta", false, b_count.clone()), b_config);

    for version in [MqttVersion::V5, MqttVersion::V311] {
        let in_alpha = client_in(&broker, &alpha, version).await;
        let in_beta = client_in(&broker, &beta, version).await;
        wait_online(&in_alpha, "echo").await;
        wait_online(&in_beta, "echo").await;
        for (client, system) in [(&in_alpha, "alpha"), (&in_beta, "beta")] {
            for i in 0..5 {
                let reply: Value = client
                    .request_json(&topics::ECHO, &json!({ "i": i }), RequestOptions::new())
                    .await
                    .unwrap();
                assert_eq!(
                    (reply["i"].as_i64(), reply["system"].as_str()),
                    (Some(i), Some(system))
                );
            }
        }
        in_alpha.shutdown().await;
        in_beta.shutdown().await;
    }
    assert_eq!(
        (
            a_count.load(Ordering::SeqCst),
            b_count.load(Ordering::SeqCst)
        ),
        (10, 10)
    );

    // On the wire, every MoDT topic (requests, replies, presence) carried its namespace:
    // everything the watcher saw before a marker from the default namespace.
    let in_default = Client::connect(broker.client_config("req", MqttVersion::V5))
        .await
        .unwrap();
    let marker = modt::Topic::new("modt/test/marker").unwrap();
    in_default.publish_json(&marker, &json!({})).await.unwrap();
    let mut roots = std::collections::BTreeSet::new();
    loop {
        let msg = recv_within(&mut wire, Duration::from_secs(5), "the marker").await;
        if msg.topic == marker.as_str() {
            break;
        }
        roots.insert(msg.topic.split('/').next().unwrap_or("").to_owned());
    }
    assert_eq!(roots, ["alpha", "beta"].map(String::from).into());

    // The default namespace has no echo unit: nobody answers there.
    let quick = RequestOptions::new().timeout(Duration::from_millis(300));
    let err = in_default
        .request(&topics::ECHO, &json!({}), quick)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), modt::RequestErrorKind::TimedOut, "{err:?}");

    in_default.shutdown().await;
    watcher.shutdown().await;
    a.stop().await.unwrap();
    b.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_namespaces_share_the_embedded_broker_unseen() {
    two_systems_on_one_broker(BrokerKind::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_namespaces_share_mosquitto_unseen() {
    two_systems_on_one_broker(BrokerKind::Mosquitto).await;
}

async fn replicas_split_a_shared_route(kind: BrokerKind) {
    init_tracing();
    let Some(broker) = TestBroker::start(kind) else {
        return;
    };
    let counts = [Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0))];
    let replicas: Vec<RunningUnit> = counts
        .iter()
        .enumerate()
        .map(|(i, count)| {
            let unit = echo(&format!("echo-{i}"), "shared", true, count.clone());
            RunningUnit::start(unit, broker.client_config("echo", MqttVersion::V5))
        })
        .collect();
    let client = Client::connect(broker.client_config("req", MqttVersion::V5))
        .await
        .unwrap();
    // Presence tells the replicas apart.
    wait_online(&client, "echo-0").await;
    wait_online(&client, "echo-1").await;

    const N: i64 = 60;
    let requests = (0..N).map(|i| {
        let client = client.clone();
        async move {
            let reply: Value = client
                .request_json(&topics::ECHO, &json!({ "i": i }), RequestOptions::new())
                .await
                .unwrap();
            assert_eq!(reply["i"].as_i64(), Some(i));
        }
    });
    futures::future::join_all(requests).await;
    let handled = counts.each_ref().map(|c| c.load(Ordering::SeqCst));
    assert_eq!(
        handled[0] + handled[1],
        N as usize,
        "each request handled once: {handled:?}"
    );
    assert!(
        handled.iter().all(|&n| n > 0),
        "both replicas got some: {handled:?}"
    );

    client.shutdown().await;
    for r in replicas {
        r.stop().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_split_a_shared_route_on_the_embedded_broker() {
    replicas_split_a_shared_route(BrokerKind::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_split_a_shared_route_on_mosquitto() {
    replicas_split_a_shared_route(BrokerKind::Mosquitto).await;
}

/// `modt up --namespace acme`'s broker: the shipped least-privilege policy moved into `acme`.
/// The echo account answers a cli request there (its MQTT 5 response topic checked in the
/// namespace), a replica's account joins the unit's shared group, and the echo account can
/// neither serve nor read the default namespace.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_least_privilege_policy_follows_the_namespace() {
    use modt_broker::{BrokerConfig, BrokerPolicy, EmbeddedBroker, Enforced};

    init_tracing();
    let acme = Namespace::new("acme").unwrap();
    let mut policy = BrokerPolicy::builtin().unwrap().in_namespace(&acme);
    let echo_rules = policy.accounts["echo"].clone();
    policy.accounts.insert("echo-2".into(), echo_rules);
    let hash = modt_broker::passwd::hash(b"pw").unwrap();
    let passwords = ["echo", "echo-2", "cli"]
        .map(|a| (a.to_string(), hash.clone()))
        .into();
    let broker = EmbeddedBroker::start(
        BrokerConfig::listen(([127, 0, 0, 1], 0).into()),
        Arc::new(Enforced::new(policy, passwords)),
    )
    .unwrap();
    let port = broker.local_addr().port();
    let config = |account: &str| {
        modt::ClientConfig::new("127.0.0.1", port, modt_testkit::client_id(account))
            .with_credentials(account, "pw")
            .with_namespace(acme.clone())
    };
    let counts = [Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0))];
    let replicas = [("echo", "echo"), ("echo-2", "echo-2")].map(|(account, unit_id)| {
        let i = usize::from(account != "echo");
        let unit = echo(unit_id, "acme", true, counts[i].clone());
        RunningUnit::start(unit, config(account))
    });
    let cli = Client::connect(config("cli")).await.unwrap();
    wait_online(&cli, "echo").await;
    wait_online(&cli, "echo-2").await;
    for i in 0..20 {
        let reply: Value = cli
            .request_json(&topics::ECHO, &json!({ "i": i }), RequestOptions::new())
            .await
            .unwrap();
        assert_eq!(reply["system"], "acme");
    }
    let handled = counts.each_ref().map(|c| c.load(Ordering::SeqCst));
    assert_eq!(handled[0] + handled[1], 20, "{handled:?}");

    // Outside its namespace the echo account may not subscribe.
    let mut outside = config("echo");
    outside.namespace = Namespace::default();
    let outside = Client::connect(outside).await.unwrap();
    let err = outside
        .subscribe(&topics::ECHO.to_filter(), QoS::AtLeastOnce)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), modt::error::SubscribeErrorKind::Refused);

    outside.shutdown().await;
    cli.shutdown().await;
    for r in replicas {
        r.stop().await.unwrap();
    }
    broker.stop();
}
