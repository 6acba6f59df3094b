//! The todo store's semantic suite: the same cases against every backend, each on a fresh
//! location opened through `modt_todo::store::open`: a new SQLite file, and a new database
//! of the test kit's throw-away PostgreSQL cluster (skipped with a printed reason when
//! PostgreSQL is not installed, unless `MODT_REQUIRE_POSTGRES=1`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use modt::protocol::TodoPatch;
use modt_store::{Location, PostgresUrl};
use modt_todo::store::{self, NewTodo, Outcome, StoreError, TodoStore, Write, WriteOp};

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

mod store_cases;
use store_cases::keys::*;
use store_cases::pages::*;

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
