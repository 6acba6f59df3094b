//! The reconciler against a real Mosquitto: a connection starts and stops with its
//! configuration, fails with the broker's reason and retries, survives the broker going away,
//! and with QoS 1 and a persistent session loses nothing published while the unit was away.
//! Skips (saying so) where Mosquitto is not installed; CI sets MODT_REQUIRE_MOSQUITTO.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use modt::protocol::ingest::{Connection, ConnectionState, Subscription};
use modt_ingest::model::timestamp;
use modt_ingest::parse::Registry;
use modt_ingest::pipeline::{Intake, Writer};
use modt_ingest::reconcile::{Poke, Reconciler, StatusSink, Statuses};
use modt_ingest::secret::SecretKey;
use modt_ingest::store::sqlite::SqliteIngestStore;
use modt_ingest::store::{IngestStore, StoredConnection, TopicQuery};
use modt_testkit::wait::wait_until;
use modt_testkit::TestBroker;
use tokio_util::sync::CancellationToken;

const WAIT: Duration = Duration::from_secs(20);

/// The unit's moving parts without the bus: store, key, writer and reconciler.
struct Harness {
    _dir: tempfile::TempDir,
    store: Arc<dyn IngestStore>,
    key: Arc<SecretKey>,
    statuses: Statuses,
    poke: Poke,
    stop: CancellationToken,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Harness {
    fn new() -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn IngestStore> =
            Arc::new(SqliteIngestStore::open(dir.path().join("i.db"), 16).unwrap());
        let mut h = Harness {
            _dir: dir,
            store,
            key: Arc::new(SecretKey::from_bytes(&[9u8; 32]).unwrap()),
            statuses: Statuses::default(),
            poke: Poke::default(),
            stop: CancellationToken::new(),
            tasks: Vec::new(),
        };
        h.start();
        h
    }

    /// Starts a writer and a reconciler (again, after [`Harness::halt`]).
    fn start(&mut self) {
        self.stop = CancellationToken::new();
        let (intake, queue, shed) = Intake::new();
        let writer = Writer {
            store: self.store.clone(),
            client: None,
            limits: modt_ingest::pipeline::LimitWatch::default(),
        };
        let writer_stop = CancellationToken::new();
        let reconciler = Reconciler {
            store: self.store.clone(),
            key: self.key.clone(),
            registry: Arc::new(Registry::builtin().unwrap()),
            intake,
            sink: StatusSink {
                statuses: self.statuses.clone(),
                store: self.store.clone(),
                client: None,
            },
            sweep: Duration::from_secs(30),
            poke: self.poke.clone(),
        };
        let stop = self.stop.clone();
        let writing = tokio::spawn(writer.run(queue, shed, writer_stop.clone()));
        self.tasks.push(tokio::spawn(async move {
            reconciler.run(stop).await;
            writer_stop.cancel();
            let _ = writing.await;
        }));
    }

    /// Stops the reconciler (its connections end cleanly) and the writer.
    async fn halt(&mut self) {
        self.stop.cancel();
        for t in self.tasks.drain(..) {
            t.await.unwrap();
        }
    }

    async fn add(&self, id: &str, port: u16, user: Option<(&str, &str)>, qos: u8) {
        let now = timestamp(modt_ingest::model::now_ms());
        let row = StoredConnection {
            connection: Connection {
                id: id.into(),
                name: id.into(),
                host: "127.0.0.1".into(),
                port,
                tls: false,
                username: user.map(|(u, _)| u.to_owned()),
                has_password: user.is_some(),
                client_id: format!("ingest-test-{id}"),
                subscriptions: vec![Subscription {
                    filter: "+/gateway/#".into(),
                    qos,
                }],
                is_active: true,
                version: 1,
                created_at: now.clone(),
                updated_at: now,
            },
            sealed_password: user.map(|(_, p)| self.key.seal(id, p).unwrap()),
        };
        self.store.create(row).await.unwrap();
        self.poke.poke();
    }

    async fn change(&self, id: &str, f: impl FnOnce(&mut StoredConnection)) {
        let mut row = self.store.connection(id).await.unwrap().unwrap();
        let version = row.connection.version;
        f(&mut row);
        row.connection.version += 1;
        self.store.replace(row, version).await.unwrap();
        self.poke.poke();
    }

    async fn wait_state(&self, id: &str, state: ConnectionState) {
        let statuses = self.statuses.clone();
        wait_until(WAIT, &format!("{id} {state:?}"), || {
            let s = statuses.get(id);
            async move { s.state == state }
        })
        .await;
    }

    async fn parsed(&self, topic: &str) -> u64 {
        let q = TopicQuery {
            contains: Some(topic.into()),
            limit: 10,
            ..TopicQuery::default()
        };
        self.store
            .topics(q)
            .await
            .unwrap()
            .iter()
            .map(|t| t.parsed)
            .sum()
    }
}

/// A publisher on the external broker, and how many QoS 1 messages the broker has taken.
async fn publisher(port: u16) -> (rumqttc::AsyncClient, Arc<AtomicU64>) {
    let mut o =
        rumqttc::MqttOptions::new(format!("devices-{}", fastrand::u32(..)), "127.0.0.1", port);
    o.set_keep_alive(Duration::from_secs(30));
    let (client, mut events) = rumqttc::AsyncClient::new(o, 1_000);
    let acked = Arc::new(AtomicU64::new(0));
    let counter = acked.clone();
    tokio::spawn(async move {
        while let Ok(event) = events.poll().await {
            if let rumqttc::Event::Incoming(rumqttc::Packet::PubAck(_)) = event {
                counter.fetch_add(1, Ordering::Relaxed);
            }
        }
    });
    (client, acked)
}

fn readings(seq: u32) -> Vec<u8> {
    format!(
        r#"{{"ts":"2026-11-30T19:40:00.000Z","seq":{seq},"readings":[{{"sensor":"t1","kind":"temperature","value":{seq}}}]}}"#
    )
    .into_bytes()
}

#[tokio::test]
async fn connections_follow_their_configuration_and_messages_reach_the_store() {
    let Some(broker) = TestBroker::mosquitto() else {
        return;
    };
    let mut h = Harness::new();
    h.add("c1", broker.port(), None, 0).await;
    h.wait_state("c1", ConnectionState::Connected).await;
    let (devices, _) = publisher(broker.port()).await;
    let topic = "plant-a/gateway/7/datalogger/SN1";
    // Connected means subscribed: what is published now arrives.
    devices
        .publish(topic, rumqttc::QoS::AtMostOnce, false, readings(1))
        .await
        .unwrap();
    devices
        .publish(
            "plant-a/gateway/7/unknown",
            rumqttc::QoS::AtMostOnce,
            false,
            "x",
        )
        .await
        .unwrap();
    let store = h.store.clone();
    wait_until(WAIT, "the reading and the unknown topic stored", || {
        let s = store.clone();
        async move {
            let topics = s
                .topics(TopicQuery {
                    limit: 10,
                    ..TopicQuery::default()
                })
                .await
                .unwrap();
            !s.devices().await.unwrap().sites.is_empty() && topics.len() == 2
        }
    })
    .await;
    let unparsed = TopicQuery {
        parsed: Some(false),
        limit: 10,
        ..TopicQuery::default()
    };
    let unknown = h.store.topics(unparsed).await.unwrap();
    assert_eq!(
        unknown[0].topic, "plant-a/gateway/7/unknown",
        "discovered, not parsed"
    );

    h.change("c1", |r| r.connection.is_active = false).await;
    h.wait_state("c1", ConnectionState::Stopped).await;
    h.change("c1", |r| r.connection.is_active = true).await;
    h.wait_state("c1", ConnectionState::Connected).await;
    let log = h.store.connection_log("c1", 50).await.unwrap();
    let states: Vec<_> = log.iter().rev().map(|s| s.state).collect();
    assert_eq!(
        states,
        [
            ConnectionState::Connecting,
            ConnectionState::Connected,
            ConnectionState::Stopped,
            ConnectionState::Connecting,
            ConnectionState::Connected
        ]
    );
    h.halt().await;
}

#[tokio::test]
async fn a_broker_that_goes_away_is_retried_until_it_is_back() {
    let Some(mut broker) = TestBroker::mosquitto() else {
        return;
    };
    let mut h = Harness::new();
    h.add("c1", broker.port(), None, 0).await;
    h.wait_state("c1", ConnectionState::Connected).await;
    broker.stop();
    h.wait_state("c1", ConnectionState::Failed).await;
    let failed = h.statuses.get("c1");
    assert!(
        failed.reason.as_deref().is_some_and(|r| !r.is_empty()),
        "{failed:?}"
    );
    assert!(failed.next_attempt_at.is_some());
    broker.restart();
    h.wait_state("c1", ConnectionState::Connected).await;
    h.halt().await;
}

#[tokio::test]
async fn wrong_credentials_fail_with_the_reason_and_are_retried() {
    let Some(broker) = PasswordMosquitto::start("meter", "right") else {
        return;
    };
    let mut h = Harness::new();
    h.add("c1", broker.port, Some(("meter", "wrong")), 0).await;
    let statuses = h.statuses.clone();
    wait_until(WAIT, "a second failed attempt", || {
        let s = statuses.get("c1");
        async move { s.state == ConnectionState::Failed && s.attempt >= 2 }
    })
    .await;
    let failed = h.statuses.get("c1");
    let reason = failed.reason.unwrap();
    assert!(reason.starts_with("refused by the broker"), "{reason}");
    assert!(!reason.contains("wrong"), "no secret in the reason");
    let key = h.key.clone();
    h.change("c1", |r| {
        r.sealed_password = Some(key.seal("c1", "right").unwrap())
    })
    .await;
    h.wait_state("c1", ConnectionState::Connected).await;
    h.halt().await;
}

#[tokio::test]
async fn qos1_with_a_persistent_session_loses_nothing_while_the_unit_is_away() {
    let Some(broker) = TestBroker::mosquitto() else {
        return;
    };
    let mut h = Harness::new();
    h.add("c1", broker.port(), None, 1).await;
    h.wait_state("c1", ConnectionState::Connected).await;
    h.halt().await;
    let (devices, acked) = publisher(broker.port()).await;
    let topic = "plant-a/gateway/7/datalogger/SN1";
    const AWAY: u32 = 200;
    for seq in 0..AWAY {
        devices
            .publish(topic, rumqttc::QoS::AtLeastOnce, false, readings(seq))
            .await
            .unwrap();
    }
    // Every message is with the broker (acknowledged) before the unit comes back.
    wait_until(WAIT, "the broker to take every message", || {
        let n = acked.load(Ordering::Relaxed);
        async move { n >= u64::from(AWAY) }
    })
    .await;
    h.start();
    h.wait_state("c1", ConnectionState::Connected).await;
    let (store_h, parsed) = (&h, topic);
    wait_until(WAIT, "every message published while away", || async move {
        store_h.parsed(parsed).await >= u64::from(AWAY)
    })
    .await;
    h.halt().await;
}

#[tokio::test]
async fn a_configuration_change_under_load_loses_nothing() {
    let Some(broker) = TestBroker::mosquitto() else {
        return;
    };
    let mut h = Harness::new();
    h.add("c1", broker.port(), None, 1).await;
    h.wait_state("c1", ConnectionState::Connected).await;
    let (devices, acked) = publisher(broker.port()).await;
    const SENT: u32 = 2_000;
    let topic = "plant-a/gateway/7/datalogger/SN1";
    let sending = tokio::spawn(async move {
        for seq in 0..SENT {
            devices
                .publish(topic, rumqttc::QoS::AtLeastOnce, false, readings(seq))
                .await
                .unwrap();
        }
    });
    wait_until(WAIT, "the load under way", || {
        let n = acked.load(Ordering::Relaxed);
        async move { n >= u64::from(SENT) / 4 }
    })
    .await;
    // A new subscription restarts the connection (same client id, same session) mid-stream.
    h.change("c1", |r| {
        r.connection.subscriptions.push(Subscription {
            filter: "+/meter/#".into(),
            qos: 1,
        });
    })
    .await;
    sending.await.unwrap();
    let (store_h, parsed) = (&h, topic);
    wait_until(WAIT, "every message sent under load", || async move {
        store_h.parsed(parsed).await >= u64::from(SENT)
    })
    .await;
    let log = h.store.connection_log("c1", 50).await.unwrap();
    let connected = log
        .iter()
        .filter(|s| s.state == ConnectionState::Connected)
        .count();
    assert!(connected >= 2, "restarted for the change: {log:?}");
    h.halt().await;
}

/// Mosquitto with a password file and no anonymous access (the testkit's allows anyone).
struct PasswordMosquitto {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl PasswordMosquitto {
    fn start(user: &str, password: &str) -> Option<PasswordMosquitto> {
        let path = modt_testkit::broker::mosquitto_path()?;
        let dir = tempfile::tempdir().unwrap();
        let passwords = dir.path().join("passwords");
        let made = Command::new("mosquitto_passwd")
            .arg("-c")
            .arg("-b")
            .arg(&passwords)
            .args([user, password])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if !made.is_ok_and(|s| s.success()) {
            assert!(
                std::env::var_os("MODT_REQUIRE_MOSQUITTO").is_none(),
                "mosquitto_passwd is needed"
            );
            eprintln!("skipped: mosquitto_passwd is not installed");
            return None;
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let conf = dir.path().join("mosquitto.conf");
        std::fs::write(
            &conf,
            format!(
                "listener {port} 127.0.0.1\nallow_anonymous false\npassword_file {}\nlog_type error\n",
                passwords.display()
            ),
        )
        .unwrap();
        let child = Command::new(path)
            .arg("-c")
            .arg(&conf)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(addr).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "mosquitto did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(PasswordMosquitto {
            child,
            port,
            _dir: dir,
        })
    }
}

impl Drop for PasswordMosquitto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
