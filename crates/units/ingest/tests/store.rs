//! The store's semantic suite, the same cases on every backend: a new SQLite file, and a new
//! database of the test kit's throw-away PostgreSQL cluster (skipped with a printed reason
//! when PostgreSQL is not installed, unless `MODT_REQUIRE_POSTGRES=1`). Connections with
//! versions, the bounded connection log, and batches (topic counters, the device tree, the
//! history ring, the bounded parse log).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use modt::protocol::ingest::{
    Connection, ConnectionState, ConnectionStatus, ParseFailure, ParseFailureKind, SensorKey,
    Subscription, MAX_HISTORY_POINTS,
};
use modt::protocol::Timestamp;
use modt_ingest::model::{timestamp, DeviceUpdate, Reading};
use modt_ingest::store::{
    self, Applied, Batch, DeviceKey, IngestStore, Limits, ParseLogQuery, StoreError,
    StoredConnection, TopicDelta, TopicQuery, MAX_LOG_PER_CONNECTION, MAX_PARSE_LOG,
};
use modt_store::{Location, PostgresUrl};

/// A store on a fresh location, and what must live as long as it.
struct Fresh {
    store: Arc<dyn IngestStore>,
    _dir: Option<tempfile::TempDir>,
    _db: Option<modt_testkit::postgres::TestDatabase>,
}

async fn sqlite() -> Fresh {
    let dir = tempfile::tempdir().unwrap();
    let at = Location::sqlite(dir.path().join(store::SQLITE_FILE));
    Fresh {
        store: store::open(&at, 8).await.unwrap(),
        _dir: Some(dir),
        _db: None,
    }
}

async fn postgres() -> Option<Fresh> {
    let db = modt_testkit::postgres::test_database().await?;
    let at = Location::postgres(PostgresUrl::parse(&db.url).unwrap(), store::SCHEMA).unwrap();
    Some(Fresh {
        store: store::open(&at, 8).await.unwrap(),
        _dir: None,
        _db: Some(db),
    })
}

/// Closing blocks (it waits for the writer thread): off the runtime, as `Unit::on_stop` does.
async fn close(store: Arc<dyn IngestStore>) {
    tokio::task::spawn_blocking(move || store.close())
        .await
        .unwrap();
}

/// For each case, a module with a test per backend.
macro_rules! on_every_backend {
    ($($case:ident),* $(,)?) => {$(
        mod $case {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let fresh = crate::sqlite().await;
                crate::$case(fresh.store.clone()).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(fresh) = crate::postgres().await else { return };
                crate::$case(fresh.store.clone()).await;
            }
        }
    )*};
}

on_every_backend!(
    connections_keep_versions_and_their_bounded_log,
    batches_count_topics_build_the_tree_and_keep_bounded_history,
    the_parse_log_is_bounded_and_filtered,
    new_topics_and_devices_stop_at_their_limits
);

fn connection(id: &str) -> StoredConnection {
    StoredConnection {
        connection: Connection {
            id: id.into(),
            name: format!("plant {id}"),
            host: "127.0.0.1".into(),
            port: 1883,
            tls: false,
            username: Some("u".into()),
            has_password: true,
            client_id: format!("ingest-{id}"),
            subscriptions: vec![Subscription {
                filter: "+/gateway/#".into(),
                qos: 1,
            }],
            is_active: true,
            version: 1,
            created_at: timestamp(1_000),
            updated_at: timestamp(1_000),
        },
        sealed_password: Some("v1:sealed".into()),
    }
}

fn readings(sensor: &str, at_ms: i64, value: f64) -> DeviceUpdate {
    DeviceUpdate::Readings {
        site: "plant-a".into(),
        gateway: "7".into(),
        datalogger: "SN1".into(),
        model: Some("TX-40".into()),
        firmware: None,
        at_ms,
        readings: vec![Reading {
            sensor: sensor.into(),
            kind: "temperature".into(),
            unit: "°C".into(),
            value,
        }],
    }
}

async fn connections_keep_versions_and_their_bounded_log(store: Arc<dyn IngestStore>) {
    store.create(connection("c1")).await.unwrap();
    let got = store.connection("c1").await.unwrap().unwrap();
    assert_eq!(got, connection("c1"));
    let mut next = got.clone();
    next.connection.version = 2;
    next.connection.is_active = false;
    assert_eq!(
        store.replace(next.clone(), 5).await,
        Err(StoreError::PreconditionFailed { current: 1 })
    );
    store.replace(next, 1).await.unwrap();
    assert!(!store.connections().await.unwrap()[0].connection.is_active);
    for attempt in 0..(MAX_LOG_PER_CONNECTION as u32 + 5) {
        let status = ConnectionStatus {
            connection_id: "c1".into(),
            state: ConnectionState::Failed,
            reason: Some("network".into()),
            attempt,
            since: Timestamp("2026-11-30T00:00:00.000Z".into()),
            next_attempt_at: None,
        };
        store.log(status).await.unwrap();
    }
    let log = store.connection_log("c1", 1_000).await.unwrap();
    assert_eq!(log.len(), MAX_LOG_PER_CONNECTION);
    assert_eq!(
        log[0].attempt,
        MAX_LOG_PER_CONNECTION as u32 + 4,
        "newest first"
    );
    assert_eq!(
        store.delete("c1", Some(vec![1])).await.unwrap_err(),
        StoreError::PreconditionFailed { current: 2 }
    );
    store.delete("c1", Some(vec![2])).await.unwrap();
    assert!(store.connection("c1").await.unwrap().is_none());
    assert!(store.connection_log("c1", 10).await.unwrap().is_empty());
    assert!(!store.flag("demo").await.unwrap());
    store.set_flag("demo").await.unwrap();
    assert!(store.flag("demo").await.unwrap());
    close(store).await;
}

async fn batches_count_topics_build_the_tree_and_keep_bounded_history(store: Arc<dyn IngestStore>) {
    let delta = |count, parsed, failed| TopicDelta {
        connection_id: "c1".into(),
        topic: "plant-a/gateway/7/datalogger/SN1".into(),
        first_ms: 1,
        last_ms: 2,
        count,
        parsed,
        failed,
        sample: "{}".into(),
        parser: Some("datalogger-readings".into()),
    };
    let total = MAX_HISTORY_POINTS as i64 + 10;
    let updates = (0..total)
        .map(|i| readings("t1", 1_000 + i, i as f64))
        .collect();
    store
        .apply(Arc::new(Batch {
            topics: vec![delta(3, 2, 1)],
            updates,
            failures: vec![],
            limits: Limits::default(),
        }))
        .await
        .unwrap();
    store
        .apply(Arc::new(Batch {
            topics: vec![delta(2, 2, 0)],
            updates: vec![DeviceUpdate::GatewayStatus {
                site: "plant-a".into(),
                gateway: "7".into(),
                online: true,
                rssi: Some(-60),
                at_ms: 5_000,
            }],
            failures: vec![],
            limits: Limits::default(),
        }))
        .await
        .unwrap();
    let topics = store
        .topics(TopicQuery {
            limit: 10,
            ..TopicQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(
        (topics[0].count, topics[0].parsed, topics[0].failed),
        (5, 4, 1)
    );
    let none = TopicQuery {
        parsed: Some(false),
        limit: 10,
        ..TopicQuery::default()
    };
    assert!(store.topics(none).await.unwrap().is_empty());

    let tree = store.devices().await.unwrap();
    let gateway = &tree.sites[0].gateways[0];
    assert_eq!((gateway.online, gateway.rssi), (Some(true), Some(-60)));
    let sensor = &gateway.dataloggers[0].sensors[0];
    assert_eq!(sensor.value, (total - 1) as f64, "the latest value");

    let key = SensorKey {
        site: "plant-a".into(),
        gateway: "7".into(),
        datalogger: "SN1".into(),
        sensor: "t1".into(),
    };
    let history = store.history(key.clone()).await.unwrap().unwrap();
    assert_eq!(history.points.len(), MAX_HISTORY_POINTS);
    assert_eq!(history.points[0].value, 10.0, "oldest kept first");
    assert_eq!(history.points.last().unwrap().value, (total - 1) as f64);
    let unknown = SensorKey {
        sensor: "nope".into(),
        ..key
    };
    assert!(store.history(unknown).await.unwrap().is_none());
    close(store).await;
}

async fn the_parse_log_is_bounded_and_filtered(store: Arc<dyn IngestStore>) {
    let failure = |i: usize, kind| ParseFailure {
        at: Timestamp("2026-11-30T00:00:00.000Z".into()),
        connection_id: "c1".into(),
        topic: format!("plant-a/gateway/{i}/status"),
        parser: "gateway-status".into(),
        kind,
        pointer: "/online".into(),
        reason: "must be a boolean".into(),
        excerpt: "{}".into(),
    };
    let failures = (0..MAX_PARSE_LOG + 3)
        .map(|i| {
            failure(
                i,
                if i % 2 == 0 {
                    ParseFailureKind::Schema
                } else {
                    ParseFailureKind::NotJson
                },
            )
        })
        .collect();
    store
        .apply(Arc::new(Batch {
            failures,
            ..Batch::default()
        }))
        .await
        .unwrap();
    let all = ParseLogQuery {
        limit: MAX_PARSE_LOG * 2,
        ..ParseLogQuery::default()
    };
    let log = store.parse_log(all).await.unwrap();
    assert_eq!(log.len(), MAX_PARSE_LOG);
    assert_eq!(
        log[0].topic,
        format!("plant-a/gateway/{}/status", MAX_PARSE_LOG + 2),
        "newest first"
    );
    let schema = ParseLogQuery {
        kind: Some(ParseFailureKind::NotJson),
        limit: 5,
        ..ParseLogQuery::default()
    };
    assert!(store
        .parse_log(schema)
        .await
        .unwrap()
        .iter()
        .all(|f| f.kind == ParseFailureKind::NotJson));
    let topic = ParseLogQuery {
        topic_contains: Some("gateway/7/".into()),
        limit: 5,
        ..ParseLogQuery::default()
    };
    assert_eq!(store.parse_log(topic).await.unwrap().len(), 1);
    close(store).await;
}

/// A topic delta of one message on `topic`.
fn one_message(topic: &str) -> TopicDelta {
    TopicDelta {
        connection_id: "c1".into(),
        topic: topic.into(),
        first_ms: 1,
        last_ms: 1,
        count: 1,
        parsed: 1,
        failed: 0,
        sample: "{}".into(),
        parser: Some("datalogger-readings".into()),
    }
}

/// Readings of datalogger `dl` (sensors `sensors`) on gateway 7 of plant-a.
fn logger(dl: &str, sensors: &[&str], at_ms: i64) -> DeviceUpdate {
    DeviceUpdate::Readings {
        site: "plant-a".into(),
        gateway: "7".into(),
        datalogger: dl.into(),
        model: None,
        firmware: None,
        at_ms,
        readings: sensors
            .iter()
            .map(|s| Reading {
                sensor: (*s).into(),
                kind: "temperature".into(),
                unit: "°C".into(),
                value: at_ms as f64,
            })
            .collect(),
    }
}

fn key(dl: &str, sensor: &str) -> DeviceKey {
    DeviceKey {
        site: "plant-a".into(),
        gateway: "7".into(),
        datalogger: dl.into(),
        sensor: sensor.into(),
    }
}

async fn new_topics_and_devices_stop_at_their_limits(store: Arc<dyn IngestStore>) {
    // 2 topics; 4 devices: the gateway, datalogger A and its sensors t1, t2.
    let limits = Limits {
        topics: 2,
        devices: 4,
    };
    let first = store
        .apply(Arc::new(Batch {
            topics: vec![one_message("a"), one_message("b")],
            updates: vec![logger("A", &["t1", "t2"], 1)],
            limits,
            ..Batch::default()
        }))
        .await
        .unwrap();
    assert_eq!(
        first,
        Applied {
            topics_added: 2,
            devices_added: 4,
            ..Applied::default()
        }
    );
    // At both limits: known rows are still updated, new ones left out and reported.
    let mut c = one_message("c");
    c.count = 3;
    let second = store
        .apply(Arc::new(Batch {
            topics: vec![one_message("a"), c],
            updates: vec![logger("A", &["t1", "t3"], 2), logger("B", &["t1"], 2)],
            limits,
            ..Batch::default()
        }))
        .await
        .unwrap();
    assert_eq!((second.topics_refused, second.messages_unrecorded), (1, 3));
    assert_eq!(second.topics_added + second.devices_added, 0);
    assert_eq!(
        second.devices_refused,
        vec![key("B", ""), key("A", "t3"), key("B", "t1")],
        "a datalogger left out takes its sensors with it"
    );
    let all = TopicQuery {
        limit: 10,
        ..TopicQuery::default()
    };
    let topics = store.topics(all.clone()).await.unwrap();
    let mut names: Vec<_> = topics.iter().map(|t| (t.topic.as_str(), t.count)).collect();
    names.sort();
    assert_eq!(names, vec![("a", 2), ("b", 1)]);
    let tree = store.devices().await.unwrap();
    let loggers = &tree.sites[0].gateways[0].dataloggers;
    assert_eq!(loggers.len(), 1);
    let sensors: Vec<_> = loggers[0]
        .sensors
        .iter()
        .map(|s| (s.id.as_str(), s.value))
        .collect();
    assert_eq!(sensors, vec![("t1", 2.0), ("t2", 1.0)], "t1 still updated");
    // A higher limit makes room again.
    let third = store
        .apply(Arc::new(Batch {
            topics: vec![one_message("c")],
            updates: vec![logger("B", &["t1"], 3)],
            limits: Limits {
                topics: 3,
                devices: 6,
            },
            ..Batch::default()
        }))
        .await
        .unwrap();
    assert_eq!((third.topics_added, third.devices_added), (1, 2));
    assert!(third.devices_refused.is_empty());
    assert_eq!(store.topics(all).await.unwrap().len(), 3);
    close(store).await;
}
