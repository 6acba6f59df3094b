//! The cases of the store suite (`store_suite.rs`), each against a store it opens at a given
//! location, whatever the backend.

mod replicas;

pub(crate) use replicas::*;

use std::sync::Arc;
use std::time::Duration;

use modt_state::store::{open, OpenedStore};
use modt_state::{Committed, Store, StoreError, Write, WriteOutcome};
use modt_store::Location;
use serde_json::{json, Value};

pub(crate) const U: &str = "user-1";

pub(crate) async fn store(at: &Location) -> OpenedStore {
    open(at, 8192).await.expect("the store opens")
}

pub(crate) fn set(key: &str, value: Value) -> Write {
    Write::Set {
        user_id: U.into(),
        key: key.into(),
        value,
        if_version: None,
        ttl: None,
    }
}

fn set_if(key: &str, value: Value, version: u64) -> Write {
    Write::Set {
        user_id: U.into(),
        key: key.into(),
        value,
        if_version: Some(version),
        ttl: None,
    }
}

async fn write(
    s: &Arc<dyn Store>,
    retry: Option<&str>,
    writes: Vec<Write>,
) -> Result<Committed, StoreError> {
    s.submit(retry, writes).unwrap().committed().await
}

pub(crate) fn versions(c: &Committed) -> Vec<u64> {
    c.outcomes
        .iter()
        .map(|o| match o {
            WriteOutcome::Set { version } => *version,
            other => panic!("not a set: {other:?}"),
        })
        .collect()
}

pub(crate) async fn value(s: &Arc<dyn Store>, key: &str) -> Option<(Value, u64)> {
    s.get(U, key).await.unwrap().map(|e| (e.value, e.version))
}

pub(crate) async fn versions_count_writes(at: &Location) {
    let o = store(at).await;
    let s = &o.store;
    let c = write(s, None, vec![set("k", json!({"b": 1, "a": [1, 2]}))])
        .await
        .unwrap();
    assert_eq!(versions(&c), [1]);
    assert!(!c.replayed);
    let c = write(s, None, vec![set("k", json!("two")), set("k", json!(3.5))])
        .await
        .unwrap();
    assert_eq!(versions(&c), [2, 3]);
    let e = s.get(U, "k").await.unwrap().unwrap();
    assert_eq!((e.value, e.version, e.expires_at_ms), (json!(3.5), 3, None));
    assert_eq!(
        e.updated_at.len(),
        "2026-11-30 12:00:00".len(),
        "{}",
        e.updated_at
    );
    write(s, None, vec![set("obj", json!({"z": 1, "a": null}))])
        .await
        .unwrap();
    // Objects keep their key order (values are stored as JSON text).
    let text = serde_json::to_string(&s.get(U, "obj").await.unwrap().unwrap().value).unwrap();
    assert_eq!(text, r#"{"z":1,"a":null}"#);
    assert_eq!(s.get("someone-else", "k").await.unwrap(), None);
    o.close().await;
}

pub(crate) async fn if_version_conflicts_change_nothing(at: &Location) {
    let o = store(at).await;
    let s = &o.store;
    let c = write(s, None, vec![set_if("k", json!(1), 0)])
        .await
        .unwrap();
    assert_eq!(versions(&c), [1]);
    let err = write(s, None, vec![set_if("k", json!(2), 0)])
        .await
        .unwrap_err();
    assert_eq!(
        err,
        StoreError::Conflict {
            key: "k".into(),
            expected: 0,
            found: 1
        }
    );
    assert_eq!(value(s, "k").await, Some((json!(1), 1)));
    let c = write(s, None, vec![set_if("k", json!(2), 1)])
        .await
        .unwrap();
    assert_eq!(versions(&c), [2]);
    let err = write(s, None, vec![set_if("missing", json!(1), 4)])
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict { found: 0, .. }),
        "{err:?}"
    );
    o.close().await;
}

pub(crate) async fn a_conflict_undoes_only_its_own_batch(at: &Location) {
    let o = store(at).await;
    let s = &o.store;
    write(s, None, vec![set("b", json!(0))]).await.unwrap();
    // Three batches in one group: the middle one fails on its second write.
    let first = s.submit(None, vec![set("a", json!(1))]).unwrap();
    let middle = s
        .submit(
            None,
            vec![
                set("a", json!(2)),
                set_if("b", json!(2), 7),
                set("c", json!(2)),
            ],
        )
        .unwrap();
    let last = s.submit(None, vec![set_if("a", json!(3), 1)]).unwrap();
    assert_eq!(versions(&first.committed().await.unwrap()), [1]);
    assert!(matches!(
        middle.committed().await,
        Err(StoreError::Conflict {
            expected: 7,
            found: 1,
            ..
        })
    ));
    assert_eq!(versions(&last.committed().await.unwrap()), [2]);
    assert_eq!(value(s, "a").await, Some((json!(3), 2)));
    assert_eq!(value(s, "b").await, Some((json!(0), 1)));
    assert_eq!(value(s, "c").await, None);
    o.close().await;
}

pub(crate) async fn deletes_and_clears_report_what_they_removed(at: &Location) {
    let o = store(at).await;
    let s = &o.store;
    write(
        s,
        None,
        vec![
            set("a", json!(1)),
            set("a", json!(2)),
            set("b", json!(1)),
            set("c", json!(1)),
        ],
    )
    .await
    .unwrap();
    let del = |key: &str, if_version| Write::Delete {
        user_id: U.into(),
        key: key.into(),
        if_version,
    };
    let c = write(s, None, vec![del("a", None), del("a", None)])
        .await
        .unwrap();
    assert_eq!(
        c.outcomes,
        [
            WriteOutcome::Deleted { version: Some(2) },
            WriteOutcome::Deleted { version: None }
        ]
    );
    let err = write(s, None, vec![del("b", Some(5))]).await.unwrap_err();
    assert!(matches!(
        err,
        StoreError::Conflict {
            expected: 5,
            found: 1,
            ..
        }
    ));
    let c = write(s, None, vec![del("b", Some(1))]).await.unwrap();
    assert_eq!(c.outcomes, [WriteOutcome::Deleted { version: Some(1) }]);
    write(
        s,
        None,
        vec![Write::Set {
            user_id: "other".into(),
            key: "x".into(),
            value: json!(1),
            if_version: None,
            ttl: None,
        }],
    )
    .await
    .unwrap();
    let c = write(s, None, vec![Write::Clear { user_id: U.into() }])
        .await
        .unwrap();
    assert_eq!(c.outcomes, [WriteOutcome::Removed { count: 1 }]);
    assert!(s.all(U).await.unwrap().is_empty());
    assert_eq!(s.keys("other", None).await.unwrap(), ["x"]);
    o.close().await;
}

pub(crate) async fn keys_sort_bytewise_and_filter_by_prefix(at: &Location) {
    let o = store(at).await;
    let s = &o.store;
    let keys = ["b", "a/2", "B", "a/10", "é", "a", "z", "a%", "a_"];
    write(s, None, keys.iter().map(|k| set(k, json!(k))).collect())
        .await
        .unwrap();
    let mut sorted: Vec<&str> = keys.to_vec();
    sorted.sort();
    assert_eq!(s.keys(U, None).await.unwrap(), sorted);
    assert_eq!(s.keys(U, Some("a/")).await.unwrap(), ["a/10", "a/2"]);
    // Prefixes are literal: no LIKE wildcards.
    assert_eq!(s.keys(U, Some("a%")).await.unwrap(), ["a%"]);
    assert_eq!(s.keys(U, Some("a_")).await.unwrap(), ["a_"]);
    assert_eq!(s.keys(U, Some("")).await.unwrap().len(), keys.len());
    let all = s.all(U).await.unwrap();
    let names: Vec<&str> = all.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, sorted);
    assert_eq!(all[0].1.value, json!(sorted[0]));
    o.close().await;
}

pub(crate) async fn get_many_answers_in_the_order_asked(at: &Location) {
    let o = store(at).await;
    let s = &o.store;
    write(s, None, vec![set("x", json!(1)), set("y", json!(2))])
        .await
        .unwrap();
    let asked: Vec<String> = ["y", "nope", "x", "y"]
        .iter()
        .map(|k| k.to_string())
        .collect();
    let got: Vec<Option<Value>> = s
        .get_many(U, &asked)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.map(|e| e.value))
        .collect();
    assert_eq!(got, [Some(json!(2)), None, Some(json!(1)), Some(json!(2))]);
    o.close().await;
}

pub(crate) async fn keys_with_a_ttl_vanish(at: &Location) {
    let o = store(at).await;
    let s = &o.store;
    let ttl = |key: &str, ms| Write::Set {
        user_id: U.into(),
        key: key.into(),
        value: json!("soon gone"),
        if_version: None,
        ttl: Some(Duration::from_millis(ms)),
    };
    write(
        s,
        None,
        vec![
            ttl("brief", 1),
            ttl("long", 3_600_000),
            set("kept", json!(1)),
        ],
    )
    .await
    .unwrap();
    let long = s.get(U, "long").await.unwrap().unwrap();
    assert!(long.expires_at_ms.is_some());
    modt_testkit::wait_until(Duration::from_secs(5), "the key to expire", || async {
        s.get(U, "brief").await.unwrap().is_none()
    })
    .await;
    assert_eq!(s.keys(U, None).await.unwrap(), ["kept", "long"]);
    assert_eq!(s.all(U).await.unwrap().len(), 2);
    // An expired key counts as absent for version checks.
    write(s, None, vec![set_if("brief", json!("again"), 0)])
        .await
        .unwrap();
    assert_eq!(
        s.get(U, "brief").await.unwrap().unwrap().value,
        json!("again")
    );
    o.close().await;
}

pub(crate) async fn a_retried_batch_is_applied_once(at: &Location) {
    let o = store(at).await;
    let s = &o.store;
    let first = write(s, Some("reply/a|r1"), vec![set("k", json!(1))])
        .await
        .unwrap();
    let again = write(s, Some("reply/a|r1"), vec![set("k", json!(1))])
        .await
        .unwrap();
    assert_eq!(versions(&first), [1]);
    assert!(again.replayed);
    assert_eq!(again.outcomes, first.outcomes);
    assert_eq!(value(s, "k").await, Some((json!(1), 1)));
    // A conflict is remembered too: the retry gets it again even though it would apply now.
    let conflict = write(s, Some("reply/a|r2"), vec![set_if("k", json!(2), 0)])
        .await
        .unwrap_err();
    write(s, None, vec![Write::Clear { user_id: U.into() }])
        .await
        .unwrap();
    let again = write(s, Some("reply/a|r2"), vec![set_if("k", json!(2), 0)])
        .await
        .unwrap_err();
    assert_eq!(conflict, again);
    assert_eq!(value(s, "k").await, None);
    o.close().await;
}

pub(crate) async fn a_retried_batch_in_the_same_group_is_applied_once(at: &Location) {
    let o = store(at).await;
    let s = &o.store;
    let tickets: Vec<_> = (0..3)
        .map(|_| {
            s.submit(Some("reply/b|same"), vec![set("n", json!("once"))])
                .unwrap()
        })
        .collect();
    let mut replayed = 0;
    for t in tickets {
        let c = t.committed().await.unwrap();
        assert_eq!(versions(&c), [1]);
        replayed += usize::from(c.replayed);
    }
    assert_eq!(replayed, 2);
    assert_eq!(value(s, "n").await, Some((json!("once"), 1)));
    o.close().await;
}

pub(crate) async fn a_barrier_sees_every_earlier_write(at: &Location) {
    let o = store(at).await;
    let s = &o.store;
    let tickets: Vec<_> = (0..500)
        .map(|i| s.submit(None, vec![set("seq", json!(i))]).unwrap())
        .collect();
    s.barrier().await;
    assert_eq!(value(s, "seq").await, Some((json!(499), 500)));
    for t in tickets {
        t.committed().await.unwrap();
    }
    o.close().await;
}

pub(crate) async fn many_concurrent_writes_all_commit_in_order(at: &Location) {
    let o = store(at).await;
    let s = o.store.clone();
    let tasks: Vec<_> = (0..2000)
        .map(|i| {
            let ticket = s.submit(
                Some(&format!("reply/c|{i}")),
                vec![set("hot", json!(i)), set(&format!("k{i}"), json!(i))],
            );
            tokio::spawn(async move { ticket.unwrap().committed().await })
        })
        .collect();
    for (i, t) in tasks.into_iter().enumerate() {
        let c = t.await.unwrap().unwrap();
        // Submission order is commit order: the i-th batch made the hot key's version i + 1.
        assert_eq!(versions(&c), [i as u64 + 1, 1]);
    }
    assert_eq!(s.keys(U, Some("k")).await.unwrap().len(), 2000);
    o.close().await;
}

pub(crate) async fn data_and_remembered_requests_survive_a_reopen(at: &Location) {
    let o = store(at).await;
    write(
        &o.store,
        Some("reply/d|1"),
        vec![set("kept", json!({"a": 1}))],
    )
    .await
    .unwrap();
    // Closing commits what is still queued (here as a unit's on_stop clean-up closes it).
    let pending = o.store.submit(None, vec![set("late", json!(2))]).unwrap();
    tokio::task::spawn_blocking(move || o.close_blocking())
        .await
        .unwrap();
    assert!(pending.committed().await.is_ok());
    let o = store(at).await;
    let s = &o.store;
    assert_eq!(value(s, "kept").await, Some((json!({"a": 1}), 1)));
    assert_eq!(value(s, "late").await, Some((json!(2), 1)));
    let again = write(s, Some("reply/d|1"), vec![set("kept", json!({"a": 1}))])
        .await
        .unwrap();
    assert!(again.replayed);
    assert_eq!(value(s, "kept").await, Some((json!({"a": 1}), 1)));
    o.close().await;
}

pub(crate) async fn interleaved_writes_keep_their_order(at: &Location) {
    let o = store(at).await;
    let s = &o.store;
    let del = |key: &str| Write::Delete {
        user_id: U.into(),
        key: key.into(),
        if_version: None,
    };
    let c = write(
        s,
        None,
        vec![
            set("x", json!(1)),
            set("y", json!(1)),
            set("x", json!(2)),
            del("x"),
            set("x", json!(3)),
            set("y", json!(2)),
        ],
    )
    .await
    .unwrap();
    assert_eq!(
        c.outcomes,
        [
            WriteOutcome::Set { version: 1 },
            WriteOutcome::Set { version: 1 },
            WriteOutcome::Set { version: 2 },
            WriteOutcome::Deleted { version: Some(2) },
            WriteOutcome::Set { version: 1 },
            WriteOutcome::Set { version: 2 },
        ]
    );
    assert_eq!(value(s, "x").await, Some((json!(3), 1)));
    assert_eq!(value(s, "y").await, Some((json!(2), 2)));
    o.close().await;
}
