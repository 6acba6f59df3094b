//! The SQLite store: one file in WAL mode, one writer thread with group commit, a pool of
//! read connections used from `spawn_blocking`, at most [`READERS`](reader::READERS) at once.
//!
//! - `schema`: the migrations, and the adoption of a database written by the original db-unit.
//! - `writer`: the writer thread (many writes per transaction, one fsync per batch).
//! - `idle`: the writer's idle schedule (sweeping expired keys, giving memory back).
//! - `reader`: the read-connection pool (closed by the writer when reads and writes stop) and
//!   row decoding.
//! - `requests`: remembered retry keys and their answers (writes applied at most once).
//!
//! The write queue (ordering, barriers, gathering a group commit) is shared with PostgreSQL:
//! [`queue`](crate::store::queue).

mod idle;
mod reader;
mod requests;
pub mod schema;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::Semaphore;

use super::{Entry, Store, StoreError, Write, WriteBarrier, WriteTicket};
use reader::ReadPool;
use writer::Writer;

pub use crate::store::queue::MAX_BATCH;

/// The SQLite-backed [`Store`].
#[derive(Debug, Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    path: PathBuf,
    writer: Writer,
    readers: Arc<ReadPool>,
    /// One permit per read running ([`reader::READERS`]).
    reading: Arc<Semaphore>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and starts its writer thread.
    /// `queue` bounds the writes waiting for the writer; submitting beyond it fails with
    /// `unavailable` (the unit's in-flight limit keeps it from filling).
    pub fn open(path: impl AsRef<Path>, queue: usize) -> Result<SqliteStore, StoreError> {
        let path = path.as_ref().to_path_buf();
        let conn = schema::open_writer(&path)?;
        let readers = Arc::new(ReadPool::new(path.clone()));
        let writer = Writer::start(conn, queue, readers.clone())?;
        Ok(SqliteStore {
            inner: Arc::new(Inner {
                path,
                writer,
                readers,
                reading: Arc::new(Semaphore::new(reader::READERS)),
            }),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Stops the writer after it has committed everything queued.
    pub fn close(&self) {
        self.inner.writer.stop();
    }

    /// Runs `f` on a pooled read connection on the blocking pool, once fewer than
    /// [`reader::READERS`] reads are running. The read holds its turn until it has run, even
    /// when its caller stops waiting.
    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&rusqlite::Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let turn = self
            .inner
            .reading
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| StoreError::Unavailable(format!("reads have stopped: {e}")))?;
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let result = inner.readers.with(f);
            drop(turn);
            result
        })
        .await
        .map_err(|e| StoreError::Unavailable(format!("read task failed: {e}")))?
    }
}

#[async_trait]
impl Store for SqliteStore {
    fn submit(
        &self,
        retry_key: Option<&str>,
        writes: Vec<Write>,
    ) -> Result<WriteTicket, StoreError> {
        self.inner.writer.submit(retry_key, writes)
    }

    fn barrier(&self) -> WriteBarrier {
        self.inner.writer.barrier()
    }

    async fn get(&self, user_id: &str, key: &str) -> Result<Option<Entry>, StoreError> {
        let (u, k) = (user_id.to_owned(), key.to_owned());
        self.read(move |c| reader::get(c, &u, &k)).await
    }

    async fn get_many(
        &self,
        user_id: &str,
        keys: &[String],
    ) -> Result<Vec<Option<Entry>>, StoreError> {
        let (u, ks) = (user_id.to_owned(), keys.to_vec());
        self.read(move |c| ks.iter().map(|k| reader::get(c, &u, k)).collect())
            .await
    }

    async fn keys(&self, user_id: &str, prefix: Option<&str>) -> Result<Vec<String>, StoreError> {
        let (u, p) = (user_id.to_owned(), prefix.map(str::to_owned));
        self.read(move |c| reader::keys(c, &u, p.as_deref())).await
    }

    async fn all(&self, user_id: &str) -> Result<Vec<(String, Entry)>, StoreError> {
        let u = user_id.to_owned();
        self.read(move |c| reader::all(c, &u)).await
    }
}

pub(crate) fn storage(e: rusqlite::Error) -> StoreError {
    StoreError::Storage(e.to_string())
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// `YYYY-MM-DD HH:MM:SS` UTC, the format of SQLite's `CURRENT_TIMESTAMP`.
pub(crate) fn now_text() -> String {
    chrono::Utc::now().format("%Y-%m-%d %H:%M:%S").to_string()
}

#[cfg(test)]
mod tests {
    use std::sync::Barrier;

    use futures::FutureExt as _;

    use super::*;

    /// [`reader::READERS`] reads run at once (they meet at a barrier inside their reads); one
    /// more waits for its turn until one of them has finished.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn reads_past_the_bound_wait_for_a_turn() -> Result<(), StoreError> {
        let dir = tempfile::tempdir().map_err(|e| StoreError::Storage(e.to_string()))?;
        let store = SqliteStore::open(dir.path().join("state.db"), 16)?;
        let started = Arc::new(Barrier::new(reader::READERS + 1));
        let release = Arc::new(Barrier::new(reader::READERS + 1));
        let running: Vec<_> = (0..reader::READERS)
            .map(|_| {
                let (store, started, release) = (store.clone(), started.clone(), release.clone());
                tokio::spawn(async move {
                    store
                        .read(move |c| {
                            started.wait();
                            release.wait();
                            reader::get(c, "u", "k")
                        })
                        .await
                })
            })
            .collect();
        let wait = |b: Arc<Barrier>| tokio::task::spawn_blocking(move || b.wait());
        wait(started.clone())
            .await
            .map_err(|e| StoreError::Storage(e.to_string()))?;
        let turns_left = store.inner.reading.available_permits();
        let mut extra = Box::pin(store.get("u", "k"));
        let extra_waited = (&mut extra).now_or_never().is_none();
        // The running reads end before any assertion (a runtime waits for its blocking
        // threads as it shuts down).
        wait(release.clone())
            .await
            .map_err(|e| StoreError::Storage(e.to_string()))?;
        assert_eq!(turns_left, 0, "every turn is taken");
        assert!(extra_waited, "the extra read waits for a turn");
        for read in running {
            assert_eq!(
                read.await
                    .map_err(|e| StoreError::Storage(e.to_string()))??,
                None
            );
        }
        assert_eq!(extra.await?, None, "its turn came");
        assert!(store.inner.readers.pooled() <= reader::READERS);
        store.close();
        Ok(())
    }
}
