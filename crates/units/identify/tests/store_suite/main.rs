//! The identify store's semantic suite: the same cases (`cases`, `records`) run against every
//! backend, each on a fresh store from a factory: a new SQLite file, and a new database of
//! the test kit's throw-away PostgreSQL cluster (skipped with a printed reason when
//! PostgreSQL is not installed, unless `MODT_REQUIRE_POSTGRES=1`). Plus what only SQLite has:
//! files from before migrations.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cases;
mod records;
mod tokens;

use std::sync::Arc;

use modt_identify::store::{self, IdentityStore};
use modt_store::{Location, PostgresUrl};

/// A store and what must live as long as it (its temp dir).
pub(crate) struct Fresh {
    pub(crate) store: Arc<dyn IdentityStore>,
    _dir: Option<tempfile::TempDir>,
}

/// A new SQLite store in a temp dir, opened through [`store::open`].
pub(crate) async fn sqlite() -> Fresh {
    let dir = tempfile::tempdir().unwrap();
    let at = Location::sqlite(dir.path().join("modt_identify.db"));
    Fresh {
        store: store::open(&at).await.unwrap(),
        _dir: Some(dir),
    }
}

/// A new PostgreSQL store (a fresh database, the unit's schema), or `None` when the test
/// kit cannot run PostgreSQL here (it printed why).
pub(crate) async fn postgres() -> Option<Fresh> {
    let db = modt_testkit::postgres::test_database().await?;
    let url = PostgresUrl::parse(&db.url).unwrap();
    let at = Location::postgres(url, store::SCHEMA).unwrap();
    Some(Fresh {
        store: store::open(&at).await.unwrap(),
        _dir: None,
    })
}

/// For each case `m::name`, a module `name` with a test per backend.
macro_rules! on_every_backend {
    ($($module:ident :: $case:ident),* $(,)?) => {$(
        mod $case {
            #[tokio::test]
            async fn sqlite() {
                let fresh = crate::sqlite().await;
                crate::$module::$case(fresh.store.clone()).await;
            }

            #[tokio::test]
            async fn postgres() {
                let Some(fresh) = crate::postgres().await else { return };
                crate::$module::$case(fresh.store.clone()).await;
                fresh.store.close();
            }
        }
    )*};
}

on_every_backend!(
    cases::user_names_are_unique_regardless_of_case,
    cases::users_are_listed_by_name,
    cases::changing_an_account_ends_its_sessions_where_it_must,
    cases::sessions_expire_idle_absolute_and_revoked,
    cases::a_session_s_last_use_is_written_at_most_once_a_minute,
    records::throttle_counts_until_a_limit_and_reopens_after_the_window,
    records::concurrent_takes_never_pass_a_limit,
    records::uncounting_and_forgetting,
    records::tracked_keys_stay_bounded,
    records::the_first_app_answers_a_handshake,
    records::a_new_handshake_replaces_the_old_one,
    records::handshakes_are_kept_a_while_and_bounded,
    tokens::one_key_is_active_and_rotation_replaces_it,
    tokens::refresh_tokens_rotate_and_a_reuse_revokes_the_family,
    tokens::a_reuse_within_the_grace_gets_a_sibling_and_after_it_revokes,
    tokens::logout_revokes_a_family_and_logout_all_every_token,
    tokens::refresh_tokens_end_with_a_password_change_and_are_swept,
);

/// The schema identify's SQLite files had before migrations existed, frozen here.
const OLD_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS users (
    user_id       TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE COLLATE NOCASE,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('user', 'admin')),
    created_at    INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    key          TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    revoked_at   INTEGER
);
CREATE INDEX IF NOT EXISTS sessions_by_expiry ON sessions(expires_at);
";

/// A file written by the identify unit before migrations (no history table) opens with its
/// accounts and sessions, gets the new tables, and is recorded at every version.
#[tokio::test]
async fn a_sqlite_file_from_before_migrations_keeps_its_accounts_and_sessions() {
    use modt_identify::sessions::SessionKey;
    use modt_identify::{Role, User};

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("modt_identify.db");
    let key = SessionKey::of("a-session-id");
    {
        let old = rusqlite::Connection::open(&path).unwrap();
        old.execute_batch("PRAGMA journal_mode=WAL;").unwrap();
        old.execute_batch(OLD_SCHEMA).unwrap();
        old.execute(
            "INSERT INTO users VALUES ('u-1', 'Alice', 'hash-1', 'admin', 100)",
            [],
        )
        .unwrap();
        old.execute(
            "INSERT INTO sessions VALUES (?1, 'u-1', 100, 100, 5000, NULL)",
            [key.as_str()],
        )
        .unwrap();
    }
    let store = store::open(&Location::sqlite(&path)).await.unwrap();
    let alice = User {
        user_id: "u-1".into(),
        username: "Alice".into(),
        role: Role::Admin,
        created_at: 100,
    };
    assert_eq!(store.users().await.unwrap(), vec![alice.clone()]);
    assert_eq!(
        store
            .credentials("alice")
            .await
            .unwrap()
            .unwrap()
            .password_hash,
        "hash-1"
    );
    let idle = std::time::Duration::from_secs(3600);
    assert_eq!(
        store.session_user(&key, 200, idle).await.unwrap(),
        Some(alice)
    );
    // The new tables work.
    store
        .create_user("bob", "hash-2", Role::User)
        .await
        .unwrap();
    assert_eq!(store.throttle_tracked().await.unwrap(), 0);
    drop(store);
    let versions = modt_store::sqlite_history(&rusqlite::Connection::open(&path).unwrap()).unwrap();
    assert_eq!(versions, vec![1, 2, 3]);
}
