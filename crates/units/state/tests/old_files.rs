//! SQLite files written before migrations existed open with their data: a file of MoDT-rs as
//! it was (the original's table, the added columns, the remembered requests) gets migration 1
//! recorded, keeps its rows, and still answers a remembered retry.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use modt_state::store::open;
use modt_state::{Write, WriteOutcome};
use modt_store::Location;
use serde_json::json;
use sha2::{Digest, Sha256};

/// Exactly the DDL the state unit ran before migrations (`store/sqlite/schema.rs` and
/// `requests.rs` of that time), in its order.
const BEFORE_MIGRATIONS: &str = "
    CREATE TABLE IF NOT EXISTS states (
        user_id TEXT, key TEXT, value TEXT,
        updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
        PRIMARY KEY (user_id, key));
    ALTER TABLE states ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE states ADD COLUMN expires_at INTEGER;
    CREATE INDEX IF NOT EXISTS states_expires_at ON states(expires_at) WHERE expires_at IS NOT NULL;
    CREATE TABLE IF NOT EXISTS requests (
        id BLOB PRIMARY KEY, answer TEXT NOT NULL, at_ms INTEGER NOT NULL) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS requests_at_ms ON requests(at_ms);";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_from_before_migrations_keeps_its_data_and_remembered_requests() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("modt_state.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(BEFORE_MIGRATIONS).unwrap();
        conn.execute(
            "INSERT INTO states (user_id, key, value, updated_at, version) VALUES ('u', 'k', '{\"a\":1}', '2026-11-01 10:00:00', 3)",
            [],
        )
        .unwrap();
        let id: [u8; 32] = Sha256::digest(b"reply/x|r1").into();
        let now = chrono::Utc::now().timestamp_millis();
        conn.execute(
            "INSERT INTO requests (id, answer, at_ms) VALUES (?, ?, ?)",
            rusqlite::params![&id[..], r#"{"Applied":[{"Set":{"version":3}}]}"#, now],
        )
        .unwrap();
    }
    for _ in 0..2 {
        let opened = open(&Location::sqlite(&path), 16).await.unwrap();
        let s = &opened.store;
        let e = s.get("u", "k").await.unwrap().unwrap();
        assert_eq!((e.value, e.version), (json!({"a": 1}), 3));
        assert_eq!(e.updated_at, "2026-11-01 10:00:00");
        let retry = s
            .submit(
                Some("reply/x|r1"),
                vec![Write::Set {
                    user_id: "u".into(),
                    key: "k".into(),
                    value: json!("again"),
                    if_version: None,
                    ttl: None,
                }],
            )
            .unwrap()
            .committed()
            .await
            .unwrap();
        assert!(retry.replayed);
        assert_eq!(retry.outcomes, [WriteOutcome::Set { version: 3 }]);
        opened.close().await;
    }
    let conn = rusqlite::Connection::open(&path).unwrap();
    let recorded: i64 = conn
        .query_row("SELECT count(*) FROM modt_schema_history", [], |r| r.get(0))
        .unwrap();
    assert_eq!(recorded, 1, "migration 1 recorded once");
}
