//! Request keys: remembered answers, reuse, windows, forgetting, and concurrent requests.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use modt_store::Location;
use modt_todo::store::{
    self, Applied, ListSpec, RequestKey, Sort, StoreError, TodoStore, Write, WriteOp,
};

use crate::{close, create, new, open, sqlite, title, update, T0};

fn key(text: &str, request: &str, keep: Duration) -> RequestKey {
    RequestKey::retry(text, store::hash(&[request]), keep)
}

pub(crate) async fn write_keyed(
    s: &Arc<dyn TodoStore>,
    op: WriteOp,
    keys: Vec<RequestKey>,
    now_ms: i64,
) -> Result<Applied, StoreError> {
    s.write(Write { op, keys, now_ms }).await
}

pub(crate) async fn count(s: &Arc<dyn TodoStore>, owner: &str) -> usize {
    let spec = ListSpec {
        owner: owner.into(),
        done: None,
        sort: Sort::Created,
        after: None,
        limit: 1000,
    };
    s.list(&spec).await.unwrap().len()
}

pub(crate) async fn a_remembered_key_answers_again_without_applying(at: &Location) {
    let s = open(at).await;
    let keep = Duration::from_secs(600);
    let first = write_keyed(
        &s,
        WriteOp::Create(new("ann", "once", T0)),
        vec![key("k1", "r", keep)],
        T0,
    )
    .await
    .unwrap();
    assert!(!first.replayed);
    // The retry carries a new id (a new request's draw) and the same key.
    let again = write_keyed(
        &s,
        WriteOp::Create(new("ann", "once", T0 + 5)),
        vec![key("k1", "r", keep)],
        T0 + 5,
    )
    .await
    .unwrap();
    assert!(again.replayed);
    assert_eq!(
        again.outcome, first.outcome,
        "the first answer, to the letter"
    );
    assert_eq!(count(&s, "ann").await, 1);

    // An update remembered under two keys answers to either.
    let id = first.outcome.todo().id.clone();
    let op = |t: &str| WriteOp::Update {
        id: id.clone(),
        owner: Some("ann".into()),
        if_match: None,
        patch: title(t),
        now_ms: T0 + 10,
    };
    let keys = vec![key("k2", "u", keep), key("idem", "u", keep)];
    let changed = write_keyed(&s, op("new"), keys, T0 + 10).await.unwrap();
    assert_eq!(changed.outcome.todo().version, 2);
    let again = write_keyed(&s, op("new"), vec![key("idem", "u", keep)], T0 + 20)
        .await
        .unwrap();
    assert!(again.replayed);
    assert_eq!(again.outcome.todo().version, 2, "not applied twice");
    assert_eq!(s.get(None, &id).await.unwrap().unwrap().todo.version, 2);

    // A refused write is not remembered: its retry is judged again.
    let stale = WriteOp::Delete {
        id: id.clone(),
        owner: Some("ann".into()),
        if_match: Some(vec![1]),
    };
    let refused = write_keyed(&s, stale.clone(), vec![key("k3", "d", keep)], T0 + 30).await;
    assert_eq!(
        refused.unwrap_err(),
        StoreError::PreconditionFailed { current: 2 }
    );
    let refused = write_keyed(&s, stale, vec![key("k3", "d", keep)], T0 + 31).await;
    assert_eq!(
        refused.unwrap_err(),
        StoreError::PreconditionFailed { current: 2 }
    );
    close(&s).await;
}

pub(crate) async fn a_key_with_another_request_is_refused(at: &Location) {
    let s = open(at).await;
    let keep = Duration::from_secs(600);
    write_keyed(
        &s,
        WriteOp::Create(new("ann", "a", T0)),
        vec![key("k", "first", keep)],
        T0,
    )
    .await
    .unwrap();
    let other = write_keyed(
        &s,
        WriteOp::Create(new("ann", "b", T0)),
        vec![key("k", "second", keep)],
        T0 + 1,
    )
    .await;
    assert_eq!(other.unwrap_err(), StoreError::KeyReused);
    assert_eq!(count(&s, "ann").await, 1, "nothing written");
    // Idempotency keys are per owner: bob's "k" is not ann's.
    let fp = store::hash(&["same"]);
    let ann = RequestKey::idempotency("ann", "k", fp, keep);
    let bob = RequestKey::idempotency("bob", "k", fp, keep);
    assert_ne!(ann.id, bob.id);
    write_keyed(&s, WriteOp::Create(new("ann", "x", T0)), vec![ann], T0)
        .await
        .unwrap();
    let bobs = write_keyed(&s, WriteOp::Create(new("bob", "x", T0)), vec![bob], T0)
        .await
        .unwrap();
    assert!(!bobs.replayed);
    close(&s).await;
}

pub(crate) async fn a_key_past_its_window_applies_again(at: &Location) {
    let s = open(at).await;
    let keep = Duration::from_secs(60);
    write_keyed(
        &s,
        WriteOp::Create(new("ann", "a", T0)),
        vec![key("k", "r", keep)],
        T0,
    )
    .await
    .unwrap();
    let within = write_keyed(
        &s,
        WriteOp::Create(new("ann", "a", T0)),
        vec![key("k", "r", keep)],
        T0 + 59_999,
    )
    .await
    .unwrap();
    assert!(within.replayed);
    let after = write_keyed(
        &s,
        WriteOp::Create(new("ann", "a", T0)),
        vec![key("k", "r", keep)],
        T0 + 60_000,
    )
    .await
    .unwrap();
    assert!(!after.replayed, "the window is over: a new request");
    assert_eq!(count(&s, "ann").await, 2);
    // And it is remembered afresh.
    let again = write_keyed(
        &s,
        WriteOp::Create(new("ann", "a", T0)),
        vec![key("k", "r", keep)],
        T0 + 60_001,
    )
    .await
    .unwrap();
    assert!(again.replayed);
    assert_eq!(again.outcome, after.outcome);
    close(&s).await;
}

pub(crate) async fn concurrent_duplicates_create_once(at: &Location) {
    let s = open(at).await;
    let keep = Duration::from_secs(600);
    let mut tasks = Vec::new();
    for i in 0..32 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            let op = WriteOp::Create(new("ann", "once", T0 + i));
            write_keyed(&s, op, vec![key("dup", "r", keep)], T0 + i)
                .await
                .unwrap()
        }));
    }
    let mut ids = HashSet::new();
    let mut fresh = 0;
    for t in tasks {
        let applied = t.await.unwrap();
        fresh += usize::from(!applied.replayed);
        ids.insert(applied.outcome.todo().id.clone());
    }
    assert_eq!(
        (fresh, ids.len()),
        (1, 1),
        "one applied, the others answered with it"
    );
    assert_eq!(count(&s, "ann").await, 1);
    close(&s).await;
}

pub(crate) async fn concurrent_edits_of_one_version_let_one_through(at: &Location) {
    const EDITORS: usize = 32;
    let s = open(at).await;
    let t = create(&s, new("ann", "v1", T0)).await;
    let mut tasks = Vec::new();
    for i in 0..EDITORS {
        let s = s.clone();
        let id = t.id.clone();
        tasks.push(tokio::spawn(async move {
            s.write(update(
                &id,
                Some("ann"),
                Some(vec![1]),
                title(&format!("edit {i}")),
            ))
            .await
        }));
    }
    let (mut ok, mut refused) = (0, 0);
    for task in tasks {
        match task.await.unwrap() {
            Ok(applied) => {
                ok += 1;
                assert_eq!(applied.outcome.todo().version, 2);
            }
            Err(StoreError::PreconditionFailed { current: 2 }) => refused += 1,
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(
        (ok, refused),
        (1, EDITORS - 1),
        "If-Match \"1\" lets exactly one edit through"
    );
    assert_eq!(s.get(None, &t.id).await.unwrap().unwrap().todo.version, 2);
    close(&s).await;
}

/// Remembered answers past their window are removed (the first write after opening sweeps,
/// then at most every `FORGET_EVERY`); live ones stay.
#[tokio::test]
async fn expired_request_keys_are_forgotten_on_sqlite() {
    let fresh = sqlite().await;
    let Location::Sqlite { path } = &fresh.at else {
        unreachable!()
    };
    let rows = |path: &std::path::Path| {
        let c = rusqlite::Connection::open(path).unwrap();
        c.query_row("SELECT count(*) FROM requests", [], |r| r.get::<_, i64>(0))
            .unwrap()
    };
    let s = open(&fresh.at).await;
    let short = Duration::from_secs(1);
    let long = Duration::from_secs(3600);
    write_keyed(
        &s,
        WriteOp::Create(new("ann", "a", T0)),
        vec![key("short", "a", short)],
        T0,
    )
    .await
    .unwrap();
    write_keyed(
        &s,
        WriteOp::Create(new("ann", "b", T0)),
        vec![key("long", "b", long)],
        T0,
    )
    .await
    .unwrap();
    close(&s).await;
    assert_eq!(rows(path), 2);
    let s = open(&fresh.at).await;
    create(&s, new("ann", "c", T0 + 2_000)).await;
    close(&s).await;
    assert_eq!(rows(path), 1, "the expired one is gone, the live one stays");
}
