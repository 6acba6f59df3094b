//! The SQLite hub store: `modt_hub.db` (WAL, `synchronous=FULL`) served by one thread of its
//! own, so no SQLite call ever runs on an async runtime thread. A write is one autocommit
//! statement: when its job completes, the value is on disk.

use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OptionalExtension};
use serde_json::Value;

use super::queue::{Job, Jobs, Pending, Queue};
use super::{HubStore, StoreError, WriteMode};
use modt_store::Migration;

/// The schema before migrations existed, kept as version 1 (`IF NOT EXISTS`: such files open
/// with their values).
const V1_VALUES: &str = "CREATE TABLE IF NOT EXISTS hub_values (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL,
    updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
)";

/// Every migration of the SQLite schema, in order.
const MIGRATIONS: &[Migration] = &[Migration::new(1, "values", V1_VALUES)];

/// The SQLite [`HubStore`]. Its handle is shared behind an `Arc`.
#[derive(Debug)]
pub struct SqliteHubStore {
    path: PathBuf,
    queue: Queue,
}

fn storage(e: rusqlite::Error) -> StoreError {
    StoreError::Storage(e.to_string())
}

impl SqliteHubStore {
    /// Opens (creating if needed) the database at `path`, brings its schema up to date and
    /// starts its thread. Blocking: call it at start or from `spawn_blocking`. `queue` bounds
    /// the jobs waiting for the thread.
    pub fn open(path: impl AsRef<Path>, queue: usize) -> Result<SqliteHubStore, StoreError> {
        let path = path.as_ref().to_path_buf();
        let open_error = |reason: String| StoreError::Open {
            location: path.display().to_string(),
            reason,
        };
        let conn = modt_store::sqlite::open_writer(&path, MIGRATIONS, |_| Ok(()))
            .map_err(|e| open_error(e.to_string()))?;
        let (queue, jobs) = Queue::new(queue);
        std::thread::Builder::new()
            .name("modt-hub-store".into())
            .spawn(move || serve(conn, jobs))
            .map_err(|e| open_error(format!("cannot start the store thread: {e}")))?;
        Ok(SqliteHubStore { path, queue })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl HubStore for SqliteHubStore {
    fn submit_get(&self, key: String) -> Result<Pending<Option<Value>>, StoreError> {
        self.queue.get(key)
    }

    fn submit_put(
        &self,
        key: String,
        value: Value,
        mode: WriteMode,
    ) -> Result<Pending<bool>, StoreError> {
        self.queue.put(key, value, mode)
    }

    fn close(&self) {
        self.queue.close();
    }
}

/// The store thread: does each job in queue order until told to stop or every handle is gone.
fn serve(conn: Connection, mut jobs: Jobs) {
    while let Some(job) = jobs.rx.blocking_recv() {
        match job {
            Job::Get { key, done } => {
                let _ = done.send(get(&conn, &key));
            }
            Job::Put {
                key,
                value,
                mode,
                done,
            } => {
                let _ = done.send(put(&conn, &key, &value, mode));
            }
            Job::Stop => break,
        }
    }
    // Jobs queued behind the stop are refused: their `Pending` reads `unavailable`.
    jobs.rx.close();
    if let Err((_, e)) = conn.close() {
        tracing::warn!(error = %e, "could not close the hub database cleanly");
    }
    let _ = jobs.finished.try_send(());
}

fn get(conn: &Connection, key: &str) -> Result<Option<Value>, StoreError> {
    let text: Option<String> = conn
        .prepare_cached("SELECT value FROM hub_values WHERE key = ?1")
        .map_err(storage)?
        .query_row(params![key], |r| r.get(0))
        .optional()
        .map_err(storage)?;
    text.map(|t| super::decode(key, &t)).transpose()
}

fn put(conn: &Connection, key: &str, value: &Value, mode: WriteMode) -> Result<bool, StoreError> {
    let text = super::encode(value)?;
    let sql = match mode {
        WriteMode::Upsert => {
            "INSERT INTO hub_values (key, value, updated_at) VALUES (?1, ?2, CURRENT_TIMESTAMP)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at"
        }
        WriteMode::ReplaceOnly => {
            "UPDATE hub_values SET value = ?2, updated_at = CURRENT_TIMESTAMP WHERE key = ?1"
        }
    };
    let changed = conn
        .prepare_cached(sql)
        .map_err(storage)?
        .execute(params![key, text])
        .map_err(storage)?;
    Ok(changed > 0)
}
