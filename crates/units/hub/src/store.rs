//! The live values: SQLite (`modt_hub.db`, WAL, `synchronous=FULL`) behind one thread of its own.
//!
//! Every read and write is a job on one bounded queue, done by that thread in queue order, so a
//! GET that arrives after a POST sees it, and no SQLite call ever runs on an async runtime
//! thread. A write is one autocommit statement: when its job completes, the value is on disk.
//! A registry sees few writes, so this keeps one connection and no group commit (the state unit
//! has those). Values are stored as JSON text, so their JSON types round-trip.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use rusqlite::{params, Connection, OptionalExtension};
use serde_json::Value;
use tokio::sync::oneshot;

/// The database's file name in the data directory.
pub const DB_FILE: &str = "modt_hub.db";

const CREATE: &str = "CREATE TABLE IF NOT EXISTS hub_values (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL,
    updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
)";

/// What can go wrong with the store.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The database could not be opened or prepared.
    #[error("cannot open the hub database {}: {reason}", path.display())]
    Open {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The store cannot take the job now (queue full, or closed).
    #[error("the hub store is unavailable: {0}")]
    Unavailable(String),
    /// SQLite failed, or a stored value is not JSON.
    #[error("hub storage failed: {0}")]
    Storage(String),
}

/// How a write treats a key that has no live value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteMode {
    /// Create it or replace it (POST, and PUT on a key with a default).
    Upsert,
    /// Replace it only if it has a live value; otherwise store nothing.
    ReplaceOnly,
}

/// A job's result, once the store thread has done it.
#[derive(Debug)]
pub struct Pending<T>(oneshot::Receiver<Result<T, StoreError>>);

impl<T> Pending<T> {
    /// Waits for the job; a write's result comes only once it is on disk.
    pub async fn wait(self) -> Result<T, StoreError> {
        self.0
            .await
            .unwrap_or_else(|_| Err(StoreError::Unavailable("the store thread stopped".into())))
    }
}

enum Job {
    Get {
        key: String,
        done: oneshot::Sender<Result<Option<Value>, StoreError>>,
    },
    Put {
        key: String,
        value: Value,
        mode: WriteMode,
        done: oneshot::Sender<Result<bool, StoreError>>,
    },
    Stop,
}

/// The hub's live values. Cheap to clone; clones share the thread and the queue.
#[derive(Debug, Clone)]
pub struct HubStore {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    path: PathBuf,
    tx: SyncSender<Job>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

fn storage(e: rusqlite::Error) -> StoreError {
    StoreError::Storage(e.to_string())
}

impl HubStore {
    /// Opens (creating if needed) the database at `path` and starts its thread. Blocking: call
    /// it at start or from `spawn_blocking`. `queue` bounds the jobs waiting for the thread;
    /// submitting beyond it fails with `unavailable` (the unit's in-flight limit keeps it from
    /// filling when `queue` is at least that limit).
    pub fn open(path: impl AsRef<Path>, queue: usize) -> Result<HubStore, StoreError> {
        let path = path.as_ref().to_path_buf();
        let conn = open_connection(&path).map_err(|reason| StoreError::Open {
            path: path.clone(),
            reason,
        })?;
        let (tx, rx) = std::sync::mpsc::sync_channel(queue.max(1));
        let thread = std::thread::Builder::new()
            .name("modt-hub-store".into())
            .spawn(move || serve(conn, rx))
            .map_err(|e| StoreError::Open {
                path: path.clone(),
                reason: format!("cannot start the store thread: {e}"),
            })?;
        Ok(HubStore {
            inner: Arc::new(Inner {
                path,
                tx,
                thread: Mutex::new(Some(thread)),
            }),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    fn submit(&self, job: Job) -> Result<(), StoreError> {
        self.inner.tx.try_send(job).map_err(|e| match e {
            TrySendError::Full(_) => StoreError::Unavailable("the store queue is full".into()),
            TrySendError::Disconnected(_) => StoreError::Unavailable("the store is closed".into()),
        })
    }

    /// Queues a read of `key`'s live value, behind every job queued before it. Never blocks.
    pub fn submit_get(&self, key: String) -> Result<Pending<Option<Value>>, StoreError> {
        let (done, rx) = oneshot::channel();
        self.submit(Job::Get { key, done })?;
        Ok(Pending(rx))
    }

    /// Queues a write of `value` under `key`. Never blocks. Its result says whether the value
    /// was stored (always for [`WriteMode::Upsert`]).
    pub fn submit_put(
        &self,
        key: String,
        value: Value,
        mode: WriteMode,
    ) -> Result<Pending<bool>, StoreError> {
        let (done, rx) = oneshot::channel();
        self.submit(Job::Put {
            key,
            value,
            mode,
            done,
        })?;
        Ok(Pending(rx))
    }

    /// `key`'s live value.
    pub async fn get(&self, key: &str) -> Result<Option<Value>, StoreError> {
        self.submit_get(key.to_owned())?.wait().await
    }

    /// Stores `value` under `key` as `mode` says; `true` once it is on disk.
    pub async fn put(&self, key: &str, value: Value, mode: WriteMode) -> Result<bool, StoreError> {
        self.submit_put(key.to_owned(), value, mode)?.wait().await
    }

    /// Finishes every queued job, then stops the thread and closes the database. Blocking.
    /// Jobs submitted afterwards fail with `unavailable`.
    pub fn close(&self) {
        let thread = self
            .inner
            .thread
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(thread) = thread {
            // Waits for room in the queue; the thread is draining it. An error means the
            // thread is already gone.
            let _ = self.inner.tx.send(Job::Stop);
            let _ = thread.join();
        }
    }
}

fn open_connection(path: &Path) -> Result<Connection, String> {
    // Owner-only before SQLite opens it: its -wal and -shm files take the same mode.
    modt::files::private_file(path)
        .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    let conn = Connection::open(path).map_err(|e| e.to_string())?;
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(|e| e.to_string())?;
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(|e| e.to_string())?;
    // FULL: a write is fsynced before its job completes, so an ack means "on disk".
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(|e| e.to_string())?;
    conn.execute_batch(CREATE).map_err(|e| e.to_string())?;
    Ok(conn)
}

/// The store thread: does each job in queue order until told to stop or every handle is gone.
fn serve(conn: Connection, rx: Receiver<Job>) {
    while let Ok(job) = rx.recv() {
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
    if let Err((_, e)) = conn.close() {
        tracing::warn!(error = %e, "could not close the hub database cleanly");
    }
}

fn get(conn: &Connection, key: &str) -> Result<Option<Value>, StoreError> {
    let text: Option<String> = conn
        .prepare_cached("SELECT value FROM hub_values WHERE key = ?1")
        .map_err(storage)?
        .query_row(params![key], |r| r.get(0))
        .optional()
        .map_err(storage)?;
    text.map(|t| {
        serde_json::from_str(&t).map_err(|e| {
            StoreError::Storage(format!("the stored value of {key:?} is not JSON: {e}"))
        })
    })
    .transpose()
}

fn put(conn: &Connection, key: &str, value: &Value, mode: WriteMode) -> Result<bool, StoreError> {
    let text = serde_json::to_string(value).map_err(|e| StoreError::Storage(e.to_string()))?;
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[tokio::test]
    async fn values_round_trip_with_their_types_and_survive_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join(DB_FILE);
        let store = HubStore::open(&path, 16).unwrap();
        assert_eq!(store.get("a").await.unwrap(), None);
        for v in [json!(5), json!("5"), json!({"x": [1, null]}), json!(false)] {
            assert!(store.put("a", v.clone(), WriteMode::Upsert).await.unwrap());
            assert_eq!(store.get("a").await.unwrap(), Some(v));
        }
        // Replace-only: stores over a live value, refuses a missing key.
        assert!(store
            .put("a", json!("new"), WriteMode::ReplaceOnly)
            .await
            .unwrap());
        assert!(!store
            .put("b", json!(1), WriteMode::ReplaceOnly)
            .await
            .unwrap());
        assert_eq!(store.get("b").await.unwrap(), None);
        let closing = store.clone();
        tokio::task::spawn_blocking(move || closing.close())
            .await
            .unwrap();
        assert!(matches!(
            store.get("a").await,
            Err(StoreError::Unavailable(_))
        ));

        let store = HubStore::open(&path, 16).unwrap();
        assert_eq!(store.get("a").await.unwrap(), Some(json!("new")));
        let mode: String = Connection::open(&path)
            .unwrap()
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }

    #[tokio::test]
    async fn jobs_complete_in_queue_order() {
        let dir = tempfile::tempdir().unwrap();
        let store = HubStore::open(dir.path().join(DB_FILE), 1024).unwrap();
        let mut reads = Vec::new();
        for i in 0..100 {
            store
                .submit_put("k".into(), json!(i), WriteMode::Upsert)
                .unwrap();
            reads.push(store.submit_get("k".into()).unwrap());
        }
        for (i, r) in reads.into_iter().enumerate() {
            assert_eq!(r.wait().await.unwrap(), Some(json!(i)));
        }
    }

    #[test]
    fn a_path_that_cannot_be_a_database_is_an_open_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        // A directory where the file should be.
        let e = HubStore::open(dir.path(), 4).unwrap_err();
        assert!(matches!(e, StoreError::Open { .. }));
        assert!(e.to_string().contains(&dir.path().display().to_string()));
    }
}
