//! What only the SQLite store has: its file (WAL, reopened with its values, a file from
//! before migrations) and its open errors. The behaviour both backends share is tested by the
//! semantic suite in `tests/store_suite.rs`.

use std::sync::Arc;

use rusqlite::Connection;
use serde_json::json;

use super::*;

fn open_sqlite(path: &std::path::Path) -> Arc<dyn HubStore> {
    Arc::new(SqliteHubStore::open(path, 16).unwrap())
}

async fn close(store: &Arc<dyn HubStore>) {
    let closing = store.clone();
    tokio::task::spawn_blocking(move || closing.close())
        .await
        .unwrap();
}

#[tokio::test]
async fn values_survive_a_reopen_of_the_wal_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub").join(DB_FILE);
    let store = open_sqlite(&path);
    assert!(store
        .put("a", json!({"x": [1, null]}), WriteMode::Upsert)
        .await
        .unwrap());
    close(&store).await;
    assert!(matches!(
        store.get("a").await,
        Err(StoreError::Unavailable(_))
    ));

    let store = open_sqlite(&path);
    assert_eq!(store.get("a").await.unwrap(), Some(json!({"x": [1, null]})));
    let mode: String = Connection::open(&path)
        .unwrap()
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    close(&store).await;
}

/// A file written by the hub before migrations existed (its one table, no history) opens
/// with its values and is recorded at version 1.
#[tokio::test]
async fn a_file_from_before_migrations_keeps_its_values() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(DB_FILE);
    {
        let old = Connection::open(&path).unwrap();
        old.execute_batch(
            "PRAGMA journal_mode=WAL;
             CREATE TABLE IF NOT EXISTS hub_values (
                 key TEXT PRIMARY KEY NOT NULL,
                 value TEXT NOT NULL,
                 updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
             );
             INSERT INTO hub_values (key, value) VALUES ('color', '\"blue\"'), ('n', '5');",
        )
        .unwrap();
    }
    let store = open_sqlite(&path);
    assert_eq!(store.get("color").await.unwrap(), Some(json!("blue")));
    assert_eq!(store.get("n").await.unwrap(), Some(json!(5)));
    assert!(store
        .put("n", json!(6), WriteMode::ReplaceOnly)
        .await
        .unwrap());
    close(&store).await;
    let versions = modt_store::sqlite_history(&Connection::open(&path).unwrap()).unwrap();
    assert_eq!(versions, vec![1]);
}

#[test]
fn a_path_that_cannot_be_a_database_is_an_open_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    // A directory where the file should be.
    let e = SqliteHubStore::open(dir.path(), 4).unwrap_err();
    assert!(matches!(e, StoreError::Open { .. }));
    assert!(e.to_string().contains(&dir.path().display().to_string()));
}

#[tokio::test]
async fn open_picks_the_backend_from_the_location() {
    let dir = tempfile::tempdir().unwrap();
    let at = modt_store::Location::sqlite(dir.path().join(DB_FILE));
    let store = open(&at, 8).await.unwrap();
    assert!(store.put("k", json!(1), WriteMode::Upsert).await.unwrap());
    close(&store).await;
    assert!(dir.path().join(DB_FILE).exists());
}
