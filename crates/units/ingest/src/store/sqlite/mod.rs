//! The SQLite ingest store: `modt_ingest.db` (WAL), written by one thread of its own (jobs
//! in a bounded queue, each in one `IMMEDIATE` transaction) and read through a few read-only
//! connections from `spawn_blocking`, so no SQLite call runs on an async runtime thread.
//!
//! - `write`: the writes (connections, log, batches). `read`: the queries and row decoding.

mod read;
mod write;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::sync::{mpsc as std_mpsc, Mutex};

use async_trait::async_trait;
use modt::protocol::ingest::{
    ConnectionStatus, DeviceTree, DiscoveredTopic, ParseFailure, SensorHistory, SensorKey,
};
use rusqlite::{Connection, TransactionBehavior};
use tokio::sync::{mpsc, oneshot};

use super::{
    schema, Applied, Batch, IngestStore, ParseLogQuery, StoreError, StoredConnection, TopicQuery,
};

/// Read connections kept for reuse.
const READERS: usize = 4;

/// The writer connection's page cache at most, KiB: its working set is every sensor's
/// current history page (a batch touches every sensor that reported), which the default
/// cap of `modt_store::sqlite::CACHE_KIB` (1 MiB) would read again from the operating
/// system on every batch. The cache grows only as pages are used, so a small plant (or
/// `modt up` at rest) keeps a small one; the read connections keep the default cap. 16 MiB:
/// in `modt bench ingest` (5,500 sensors) 32 and 64 MiB stored no more a second, and held
/// 16 MB more after the run.
pub const WRITER_CACHE_KIB: u32 = 16 * 1024;

/// WAL pages written before a checkpoint copies them into the database (SQLite's default is
/// 1,000): a batch rewrites the same pages (each sensor's current history page), and a
/// checkpoint copies each page once however many commits wrote it, so checkpoints that come
/// less often copy less. The WAL file grows to about this much (4 KiB pages) and stays.
pub const CHECKPOINT_PAGES: u32 = 16 * 1024;

/// What a WAL file is cut back to after a checkpoint, bytes.
pub const WAL_KEEP_BYTES: u32 = 64 * 1024 * 1024;

type Job = Box<dyn FnOnce(&mut Connection) + Send>;

/// The SQLite [`IngestStore`].
#[derive(Debug)]
pub struct SqliteIngestStore {
    path: PathBuf,
    jobs: mpsc::Sender<Option<Job>>,
    finished: Mutex<Option<std_mpsc::Receiver<()>>>,
    idle: Mutex<Vec<Connection>>,
    closed: AtomicBool,
}

impl SqliteIngestStore {
    /// Opens (creating if needed, owner-only) the database at `path`, migrates it and starts
    /// the writer thread with room for `queue` waiting writes. Blocking.
    pub fn open(path: impl AsRef<Path>, queue: usize) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        let conn = modt_store::sqlite::open_writer(&path, schema::MIGRATIONS, |_| Ok(())).map_err(
            |e| StoreError::Open {
                location: path.display().to_string(),
                reason: e.to_string(),
            },
        )?;
        tune_writer(&conn).map_err(storage)?;
        let (tx, rx) = mpsc::channel(queue.max(1));
        let (done_tx, done_rx) = std_mpsc::sync_channel(1);
        std::thread::Builder::new()
            .name("modt-ingest-writer".into())
            .spawn(move || serve(conn, rx, done_tx))
            .map_err(|e| StoreError::Unavailable(format!("cannot start the writer: {e}")))?;
        Ok(SqliteIngestStore {
            path,
            jobs: tx,
            finished: Mutex::new(Some(done_rx)),
            idle: Mutex::new(Vec::new()),
            closed: AtomicBool::new(false),
        })
    }

    /// Runs `f` in one transaction on the writer thread, after the writes queued before it.
    async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (done, answer) = oneshot::channel();
        let job: Job = Box::new(move |conn| {
            let result = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(storage)
                .and_then(|tx| {
                    let value = f(&tx)?;
                    tx.commit().map_err(storage)?;
                    Ok(value)
                });
            let _ = done.send(result);
        });
        // Waits for room: the writer drains in order; callers are bounded upstream.
        self.jobs
            .send(Some(job))
            .await
            .map_err(|_| StoreError::Unavailable("the store is closed".into()))?;
        answer
            .await
            .unwrap_or_else(|_| Err(StoreError::Unavailable("the writer stopped".into())))
    }

    /// Runs `f` on a read connection from `spawn_blocking`.
    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        if self.closed.load(Ordering::Acquire) {
            return Err(StoreError::Unavailable("the store is closed".into()));
        }
        let conn = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let path = self.path.clone();
        let (conn, result) = tokio::task::spawn_blocking(move || {
            let conn = match conn {
                Some(c) => c,
                None => modt_store::sqlite::open_reader(&path)
                    .map_err(|e| StoreError::Unavailable(e.to_string()))?,
            };
            let result = f(&conn);
            Ok::<_, StoreError>((conn, result))
        })
        .await
        .map_err(|e| StoreError::Unavailable(format!("a read task failed: {e}")))??;
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < READERS && !self.closed.load(Ordering::Acquire) {
            idle.push(conn);
        }
        result
    }
}

/// The writer connection's settings for the ingest workload: its cache and checkpoints, and
/// `synchronous=FULL` (as `open_writer` sets it, restated): a batch's commit is on disk
/// before its QoS 1 messages are acknowledged.
fn tune_writer(conn: &Connection) -> rusqlite::Result<()> {
    conn.pragma_update(None, "cache_size", -i64::from(WRITER_CACHE_KIB))?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "wal_autocheckpoint", i64::from(CHECKPOINT_PAGES))?;
    conn.pragma_update(None, "journal_size_limit", i64::from(WAL_KEEP_BYTES))
}

fn serve(
    mut conn: Connection,
    mut jobs: mpsc::Receiver<Option<Job>>,
    finished: std_mpsc::SyncSender<()>,
) {
    while let Some(Some(job)) = jobs.blocking_recv() {
        job(&mut conn);
    }
    jobs.close();
    if let Err((_, e)) = conn.close() {
        tracing::warn!(error = %e, "could not close the ingest database cleanly");
    }
    let _ = finished.try_send(());
}

pub(crate) fn storage(e: rusqlite::Error) -> StoreError {
    StoreError::Storage(e.to_string())
}

#[async_trait]
impl IngestStore for SqliteIngestStore {
    async fn connections(&self) -> Result<Vec<StoredConnection>, StoreError> {
        self.read(read::connections).await
    }

    async fn connection(&self, id: &str) -> Result<Option<StoredConnection>, StoreError> {
        let id = id.to_owned();
        self.read(move |c| read::connection(c, &id)).await
    }

    async fn create(&self, connection: StoredConnection) -> Result<(), StoreError> {
        self.write(move |tx| write::insert_connection(tx, &connection))
            .await
    }

    async fn replace(&self, connection: StoredConnection, expected: u64) -> Result<(), StoreError> {
        self.write(move |tx| write::replace_connection(tx, &connection, expected))
            .await
    }

    async fn delete(
        &self,
        id: &str,
        if_match: Option<Vec<u64>>,
    ) -> Result<StoredConnection, StoreError> {
        let id = id.to_owned();
        self.write(move |tx| write::delete_connection(tx, &id, if_match.as_deref()))
            .await
    }

    async fn log(&self, status: ConnectionStatus) -> Result<(), StoreError> {
        self.write(move |tx| write::log(tx, &status)).await
    }

    async fn connection_log(
        &self,
        id: &str,
        limit: usize,
    ) -> Result<Vec<ConnectionStatus>, StoreError> {
        let id = id.to_owned();
        self.read(move |c| read::connection_log(c, &id, limit))
            .await
    }

    async fn flag(&self, key: &str) -> Result<bool, StoreError> {
        let key = key.to_owned();
        self.read(move |c| read::flag(c, &key)).await
    }

    async fn set_flag(&self, key: &str) -> Result<(), StoreError> {
        let key = key.to_owned();
        self.write(move |tx| {
            tx.execute("INSERT OR IGNORE INTO flags (key) VALUES (?1)", [&key])
                .map(drop)
                .map_err(storage)
        })
        .await
    }

    async fn apply(&self, batch: Arc<Batch>) -> Result<Applied, StoreError> {
        self.write(move |tx| write::batch(tx, &batch)).await
    }

    async fn topics(&self, query: TopicQuery) -> Result<Vec<DiscoveredTopic>, StoreError> {
        self.read(move |c| read::topics(c, &query)).await
    }

    async fn devices(&self) -> Result<DeviceTree, StoreError> {
        self.read(read::devices).await
    }

    async fn history(&self, key: SensorKey) -> Result<Option<SensorHistory>, StoreError> {
        self.read(move |c| read::history(c, key)).await
    }

    async fn parse_log(&self, query: ParseLogQuery) -> Result<Vec<ParseFailure>, StoreError> {
        self.read(move |c| read::parse_log(c, &query)).await
    }

    fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.idle.lock().unwrap_or_else(|p| p.into_inner()).clear();
        let wait = self
            .finished
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(wait) = wait {
            let _ = self.jobs.blocking_send(None);
            let _ = wait.recv();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_writer_has_its_cache_checkpoints_and_full_sync() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("i.db");
        let store = tokio::task::spawn_blocking(move || SqliteIngestStore::open(path, 4))
            .await
            .unwrap()
            .unwrap();
        let (cache, sync, checkpoint) = store
            .write(|tx| {
                let get = |p: &str| {
                    tx.pragma_query_value(None, p, |r| r.get::<_, i64>(0))
                        .map_err(storage)
                };
                Ok((
                    get("cache_size")?,
                    get("synchronous")?,
                    get("wal_autocheckpoint")?,
                ))
            })
            .await
            .unwrap();
        assert_eq!(cache, -i64::from(WRITER_CACHE_KIB));
        assert_eq!(sync, 2, "synchronous=FULL");
        assert_eq!(checkpoint, i64::from(CHECKPOINT_PAGES));
        tokio::task::spawn_blocking(move || store.close())
            .await
            .unwrap();
    }
}
