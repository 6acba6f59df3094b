//! The todo store's semantic suite: the same cases against every backend, each on a fresh
//! location opened through `modt_todo::store::open`: a new SQLite file, and a new database
//! of the test kit's throw-away PostgreSQL cluster (skipped with a printed reason when
//! PostgreSQL is not installed, unless `MODT_REQUIRE_POSTGRES=1`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use modt::protocol::TodoPatch;
use modt_store::{Location, PostgresUrl};
use modt_todo::store::{
    self, Applied, ListSpec, NewTodo, Outcome, Position, RequestKey, Sort, StoreError, Stored,
    TodoStore, Write, WriteOp,
};

/// A location and what must live as long as it (its temp dir, its database).
struct Fresh {
    at: Location,
    _dir: Option<tempfile::TempDir>,
    _db: Option<modt_testkit::postgres::TestDatabase>,
}

async fn sqlite() -> Fresh {
    let dir = tempfile::tempdir().unwrap();
    Fresh {
        at: Location::sqlite(dir.path().join(store::SQLITE_FILE)),
        _dir: Some(dir),
        _db: None,
    }
}

async fn postgres() -> Option<Fresh> {
    let db = modt_testkit::postgres::test_database().await?;
    let url = PostgresUrl::parse(&db.url).unwrap();
    Some(Fresh {
        at: Location::postgres(url, store::SCHEMA).unwrap(),
        _dir: None,
        _db: Some(db),
    })
}

async fn open(at: &Location) -> Arc<dyn TodoStore> {
    store::open(at, 256).await.unwrap()
}

/// Closes `store` off the runtime, as `Unit::on_stop` does.
async fn close(store: &Arc<dyn TodoStore>) {
    let closing = store.clone();
    tokio::task::spawn_blocking(move || closing.close())
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
                crate::$case(&fresh.at).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(fresh) = crate::postgres().await else { return };
                crate::$case(&fresh.at).await;
            }
        }
    )*};
}

on_every_backend!(
    a_todo_is_created_read_changed_and_deleted,
    other_owners_todos_are_not_found_but_anyones_for_no_owner,
    if_match_refuses_other_versions_and_writes_nothing,
    a_remembered_key_answers_again_without_applying,
    a_key_with_another_request_is_refused,
    a_key_past_its_window_applies_again,
    concurrent_duplicates_create_once,
    concurrent_edits_of_one_version_let_one_through,
    pages_walk_every_order_without_gaps_or_repeats_while_todos_are_added,
    done_filters_and_titles_sort_bytewise,
    todos_survive_a_reopen_and_a_closed_store_refuses,
);

const HOUR_MS: i64 = 3_600_000;
const T0: i64 = 1_800_000_000_000;

fn new(owner: &str, title: &str, at_ms: i64) -> NewTodo {
    NewTodo {
        id: uuid::Uuid::new_v4().to_string(),
        owner: owner.into(),
        title: title.into(),
        notes: String::new(),
        done: false,
        now_ms: at_ms,
    }
}

async fn create(s: &Arc<dyn TodoStore>, todo: NewTodo) -> modt::protocol::Todo {
    let now_ms = todo.now_ms;
    let applied = s
        .write(Write {
            op: WriteOp::Create(todo),
            keys: vec![],
            now_ms,
        })
        .await
        .unwrap();
    assert!(!applied.replayed);
    applied.outcome.todo().clone()
}

fn update(id: &str, owner: Option<&str>, if_match: Option<Vec<u64>>, patch: TodoPatch) -> Write {
    Write {
        op: WriteOp::Update {
            id: id.into(),
            owner: owner.map(Into::into),
            if_match,
            patch,
            now_ms: T0 + HOUR_MS,
        },
        keys: vec![],
        now_ms: T0 + HOUR_MS,
    }
}

fn delete(id: &str, owner: Option<&str>, if_match: Option<Vec<u64>>) -> Write {
    Write {
        op: WriteOp::Delete {
            id: id.into(),
            owner: owner.map(Into::into),
            if_match,
        },
        keys: vec![],
        now_ms: T0,
    }
}

fn title(t: &str) -> TodoPatch {
    TodoPatch {
        title: Some(t.into()),
        ..Default::default()
    }
}

async fn a_todo_is_created_read_changed_and_deleted(at: &Location) {
    let s = open(at).await;
    let made = create(&s, new("ann", "buy milk", T0)).await;
    assert_eq!(
        (made.version, made.done, made.owner.as_str()),
        (1, false, "ann")
    );
    let read = s.get(Some("ann"), &made.id).await.unwrap().unwrap();
    assert_eq!(read.todo, made);
    assert_eq!((read.created_ms, read.updated_ms), (T0, T0));

    let patch = TodoPatch {
        done: Some(true),
        notes: Some("2 litres".into()),
        ..Default::default()
    };
    let changed = s
        .write(update(&made.id, Some("ann"), None, patch))
        .await
        .unwrap();
    let Outcome::Updated(t) = &changed.outcome else {
        panic!("{changed:?}")
    };
    assert_eq!(
        (t.version, t.done, t.title.as_str(), t.notes.as_str()),
        (2, true, "buy milk", "2 litres")
    );
    let read = s.get(None, &made.id).await.unwrap().unwrap();
    assert_eq!(&read.todo, t);
    assert_eq!(read.updated_ms, T0 + HOUR_MS, "updated now, created kept");
    assert_eq!(read.created_ms, T0);

    let gone = s
        .write(delete(&made.id, Some("ann"), Some(vec![2])))
        .await
        .unwrap();
    assert_eq!(gone.outcome, Outcome::Deleted(t.clone()));
    assert_eq!(s.get(None, &made.id).await.unwrap(), None);
    assert_eq!(
        s.write(delete(&made.id, Some("ann"), None))
            .await
            .unwrap_err(),
        StoreError::NotFound
    );
    close(&s).await;
}

async fn other_owners_todos_are_not_found_but_anyones_for_no_owner(at: &Location) {
    let s = open(at).await;
    let anns = create(&s, new("ann", "ann's", T0)).await;
    assert_eq!(s.get(Some("bob"), &anns.id).await.unwrap(), None);
    let refused = s
        .write(update(&anns.id, Some("bob"), None, title("mine now")))
        .await;
    assert_eq!(refused.unwrap_err(), StoreError::NotFound);
    let refused = s.write(delete(&anns.id, Some("bob"), None)).await;
    assert_eq!(refused.unwrap_err(), StoreError::NotFound);
    assert_eq!(
        s.get(Some("ann"), &anns.id).await.unwrap().unwrap().todo,
        anns,
        "untouched"
    );
    // No owner: an administrator's reach.
    let by_admin = s
        .write(update(&anns.id, None, None, title("fixed")))
        .await
        .unwrap();
    assert_eq!(by_admin.outcome.todo().owner, "ann", "the owner stays");
    assert_eq!(by_admin.outcome.todo().title, "fixed");
    close(&s).await;
}

async fn if_match_refuses_other_versions_and_writes_nothing(at: &Location) {
    let s = open(at).await;
    let t = create(&s, new("ann", "v1", T0)).await;
    let stale = s
        .write(update(&t.id, Some("ann"), Some(vec![7]), title("x")))
        .await;
    assert_eq!(
        stale.unwrap_err(),
        StoreError::PreconditionFailed { current: 1 }
    );
    let none_match = s
        .write(update(&t.id, Some("ann"), Some(vec![]), title("x")))
        .await;
    assert_eq!(
        none_match.unwrap_err(),
        StoreError::PreconditionFailed { current: 1 }
    );
    assert_eq!(
        s.get(None, &t.id).await.unwrap().unwrap().todo,
        t,
        "nothing written"
    );
    let ok = s
        .write(update(&t.id, Some("ann"), Some(vec![0, 1]), title("v2")))
        .await
        .unwrap();
    assert_eq!(ok.outcome.todo().version, 2);
    let stale = s.write(delete(&t.id, Some("ann"), Some(vec![1]))).await;
    assert_eq!(
        stale.unwrap_err(),
        StoreError::PreconditionFailed { current: 2 }
    );
    assert!(s.get(None, &t.id).await.unwrap().is_some(), "not deleted");
    close(&s).await;
}

fn key(text: &str, request: &str, keep: Duration) -> RequestKey {
    RequestKey::retry(text, store::hash(&[request]), keep)
}

async fn write_keyed(
    s: &Arc<dyn TodoStore>,
    op: WriteOp,
    keys: Vec<RequestKey>,
    now_ms: i64,
) -> Result<Applied, StoreError> {
    s.write(Write { op, keys, now_ms }).await
}

async fn count(s: &Arc<dyn TodoStore>, owner: &str) -> usize {
    let spec = ListSpec {
        owner: owner.into(),
        done: None,
        sort: Sort::Created,
        after: None,
        limit: 1000,
    };
    s.list(&spec).await.unwrap().len()
}

async fn a_remembered_key_answers_again_without_applying(at: &Location) {
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

async fn a_key_with_another_request_is_refused(at: &Location) {
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

async fn a_key_past_its_window_applies_again(at: &Location) {
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

async fn concurrent_duplicates_create_once(at: &Location) {
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

async fn concurrent_edits_of_one_version_let_one_through(at: &Location) {
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

/// Walks `sort` from the start, `limit` per page, calling `between` after each page.
async fn walk(
    s: &Arc<dyn TodoStore>,
    sort: Sort,
    limit: usize,
    mut between: impl FnMut(usize) -> Option<NewTodo>,
) -> Vec<Stored> {
    let mut seen = Vec::new();
    let mut after = None;
    for page in 0.. {
        let spec = ListSpec {
            owner: "ann".into(),
            done: None,
            sort,
            after: after.clone(),
            limit,
        };
        let rows = s.list(&spec).await.unwrap();
        assert!(rows.len() <= limit);
        let Some(last) = rows.last() else { break };
        after = Some(Position {
            key: sort.key_of(last),
            id: last.todo.id.clone(),
        });
        seen.extend(rows);
        if let Some(todo) = between(page) {
            create(s, todo).await;
        }
    }
    seen
}

async fn pages_walk_every_order_without_gaps_or_repeats_while_todos_are_added(at: &Location) {
    let s = open(at).await;
    // Ten todos; pairs share their creation time, so ties are ordered by id.
    let mut originals = Vec::new();
    for i in 0..10 {
        let t = create(&s, new("ann", &format!("t{}", 9 - i), T0 + (i / 2) * 1000)).await;
        originals.push(t.id);
    }
    create(&s, new("bob", "not ann's", T0)).await;
    for (_, sort) in Sort::ALL {
        // Newer and older todos keep arriving between pages.
        let mut n = 0;
        let seen = walk(&s, sort, 3, |page| {
            n += 1;
            let at = if page % 2 == 0 {
                T0 + 100 * HOUR_MS + n
            } else {
                T0 - HOUR_MS - n
            };
            Some(new("ann", &format!("late{n}"), at))
        })
        .await;
        let ids: Vec<&String> = seen.iter().map(|r| &r.todo.id).collect();
        let unique: HashSet<&String> = ids.iter().copied().collect();
        assert_eq!(unique.len(), ids.len(), "{sort:?}: nothing twice");
        for id in &originals {
            assert!(
                unique.contains(id),
                "{sort:?}: every todo there from the start is shown"
            );
        }
        for pair in seen.windows(2) {
            let (a, b) = (
                (sort.key_of(&pair[0]), &pair[0].todo.id),
                (sort.key_of(&pair[1]), &pair[1].todo.id),
            );
            let ordered = match (&a.0, &b.0) {
                (store::SortKey::Time(x), store::SortKey::Time(y)) => (x, a.1) < (y, b.1),
                (store::SortKey::Text(x), store::SortKey::Text(y)) => (x, a.1) < (y, b.1),
                _ => panic!("mixed keys"),
            };
            assert_eq!(ordered, !sort.descending(), "{sort:?}: in order");
        }
    }
    close(&s).await;
}

async fn done_filters_and_titles_sort_bytewise(at: &Location) {
    let s = open(at).await;
    for (i, t) in ["b", "B", "a", "é", "z"].iter().enumerate() {
        let mut n = new("ann", t, T0 + i as i64);
        n.done = i % 2 == 0;
        create(&s, n).await;
    }
    let list = |done: Option<bool>, sort: Sort| ListSpec {
        owner: "ann".into(),
        done,
        sort,
        after: None,
        limit: 100,
    };
    let titles = |rows: Vec<Stored>| rows.into_iter().map(|r| r.todo.title).collect::<Vec<_>>();
    assert_eq!(
        titles(s.list(&list(None, Sort::Title)).await.unwrap()),
        ["B", "a", "b", "z", "é"]
    );
    assert_eq!(
        titles(s.list(&list(None, Sort::TitleDesc)).await.unwrap()),
        ["é", "z", "b", "a", "B"]
    );
    assert_eq!(
        titles(s.list(&list(Some(true), Sort::Created)).await.unwrap()),
        ["b", "a", "z"]
    );
    assert_eq!(
        titles(s.list(&list(Some(false), Sort::CreatedDesc)).await.unwrap()),
        ["é", "B"]
    );
    close(&s).await;
}

async fn todos_survive_a_reopen_and_a_closed_store_refuses(at: &Location) {
    let s = open(at).await;
    let t = create(&s, new("ann", "keep me", T0)).await;
    close(&s).await;
    assert!(matches!(
        s.get(None, &t.id).await,
        Err(StoreError::Unavailable(_))
    ));
    let refused = s.write(update(&t.id, None, None, title("x"))).await;
    assert!(
        matches!(refused, Err(StoreError::Unavailable(_))),
        "{refused:?}"
    );
    let s = open(at).await;
    assert_eq!(s.get(Some("ann"), &t.id).await.unwrap().unwrap().todo, t);
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
