//! The hub store's semantic suite: the same cases run against every backend, each on a
//! fresh location opened through `modt_hub::store::open`: a new SQLite file, and a new
//! database of the test kit's throw-away PostgreSQL cluster (skipped with a printed reason
//! when PostgreSQL is not installed, unless `MODT_REQUIRE_POSTGRES=1`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use modt_hub::store::{self, HubStore};
use modt_hub::{StoreError, WriteMode};
use modt_store::{Location, PostgresUrl};
use serde_json::json;

/// A location and what must live as long as it (its temp dir).
struct Fresh {
    at: Location,
    _dir: Option<tempfile::TempDir>,
}

async fn sqlite() -> Fresh {
    let dir = tempfile::tempdir().unwrap();
    Fresh {
        at: Location::sqlite(dir.path().join(modt_hub::DB_FILE)),
        _dir: Some(dir),
    }
}

async fn postgres() -> Option<Fresh> {
    let db = modt_testkit::postgres::test_database().await?;
    let url = PostgresUrl::parse(&db.url).unwrap();
    Some(Fresh {
        at: Location::postgres(url, store::SCHEMA).unwrap(),
        _dir: None,
    })
}

async fn open(at: &Location, queue: usize) -> Arc<dyn HubStore> {
    store::open(at, queue).await.unwrap()
}

/// Closes `store` off the runtime, as `Unit::on_stop` does.
async fn close(store: &Arc<dyn HubStore>) {
    let closing = store.clone();
    tokio::task::spawn_blocking(move || closing.close())
        .await
        .unwrap();
}

/// For each case, a module with a test per backend.
macro_rules! on_every_backend {
    ($($case:ident),* $(,)?) => {$(
        mod $case {
            #[tokio::test]
            async fn sqlite() {
                let fresh = crate::sqlite().await;
                crate::$case(&fresh.at).await;
            }

            #[tokio::test]
            async fn postgres() {
                let Some(fresh) = crate::postgres().await else { return };
                crate::$case(&fresh.at).await;
            }
        }
    )*};
}

on_every_backend!(
    values_round_trip_with_their_json_types,
    replace_only_stores_over_a_live_value_only,
    jobs_complete_in_queue_order,
    a_full_queue_refuses_instead_of_waiting,
    close_finishes_the_queue_then_refuses_and_values_survive,
);

async fn values_round_trip_with_their_json_types(at: &Location) {
    let s = open(at, 16).await;
    assert_eq!(s.get("a").await.unwrap(), None);
    let values = [
        json!(5),
        json!("5"),
        json!(0.1),
        json!({"z": 1, "a": [1, null, {"k": "ü"}]}),
        json!(false),
        json!(["x"]),
    ];
    for v in values {
        assert!(s.put("a", v.clone(), WriteMode::Upsert).await.unwrap());
        let back = s.get("a").await.unwrap().unwrap();
        assert_eq!(
            back.to_string(),
            v.to_string(),
            "same JSON text, key order kept"
        );
    }
    close(&s).await;
}

async fn replace_only_stores_over_a_live_value_only(at: &Location) {
    let s = open(at, 16).await;
    assert!(!s.put("b", json!(1), WriteMode::ReplaceOnly).await.unwrap());
    assert_eq!(s.get("b").await.unwrap(), None);
    assert!(s.put("b", json!(1), WriteMode::Upsert).await.unwrap());
    assert!(s.put("b", json!(2), WriteMode::ReplaceOnly).await.unwrap());
    assert_eq!(s.get("b").await.unwrap(), Some(json!(2)));
    close(&s).await;
}

async fn jobs_complete_in_queue_order(at: &Location) {
    let s = open(at, 1024).await;
    let mut reads = Vec::new();
    for i in 0..100 {
        s.submit_put("k".into(), json!(i), WriteMode::Upsert)
            .unwrap();
        reads.push(s.submit_get("k".into()).unwrap());
    }
    for (i, r) in reads.into_iter().enumerate() {
        assert_eq!(r.wait().await.unwrap(), Some(json!(i)));
    }
    close(&s).await;
}

async fn a_full_queue_refuses_instead_of_waiting(at: &Location) {
    let s = open(at, 2).await;
    let mut accepted = Vec::new();
    let mut refused = 0;
    for i in 0..10_000 {
        match s.submit_put(format!("k{}", i % 10), json!(i), WriteMode::Upsert) {
            Ok(p) => accepted.push(p),
            Err(StoreError::Unavailable(_)) => refused += 1,
            Err(e) => panic!("{e}"),
        }
    }
    assert!(refused > 0, "a queue of 2 cannot take 10 000 jobs at once");
    for p in accepted {
        assert!(p.wait().await.unwrap(), "every accepted write is done");
    }
    close(&s).await;
}

async fn close_finishes_the_queue_then_refuses_and_values_survive(at: &Location) {
    let s = open(at, 1024).await;
    let writes: Vec<_> = (0..50)
        .map(|i| {
            s.submit_put(format!("k{i}"), json!(i), WriteMode::Upsert)
                .unwrap()
        })
        .collect();
    close(&s).await;
    for w in writes {
        assert!(w.wait().await.unwrap(), "queued before the close: done");
    }
    assert!(matches!(s.get("k0").await, Err(StoreError::Unavailable(_))));
    close(&s).await; // a second close returns at once

    let s = open(at, 16).await;
    for i in [0, 49] {
        assert_eq!(s.get(&format!("k{i}")).await.unwrap(), Some(json!(i)));
    }
    close(&s).await;
}
