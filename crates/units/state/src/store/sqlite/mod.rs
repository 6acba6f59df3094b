//! The SQLite store: one file in WAL mode, one writer thread with group commit, a pool of
//! read connections used by a few reader threads.
//!
//! - `schema`: the migrations, and the adoption of a database written by the original db-unit.
//! - `writer`: the writer thread (many writes per transaction, one fsync per batch).
//! - `idle`: the writer's idle schedule (sweeping expired keys, giving memory back).
//! - `reader`: the read-connection pool (closed by the writer when reads and writes stop) and
//!   row decoding.
//! - `read_threads`: the threads that run reads, at most `READERS` at once.
//! - `requests`: remembered retry keys and their answers (writes applied at most once).
//!
//! The write queue (ordering, barriers, gathering a group commit) is shared with PostgreSQL:
//! [`queue`](crate::store::queue).

mod idle;
mod read_threads;
mod reader;
mod requests;
pub mod schema;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;

use super::{Entry, Store, StoreError, Write, WriteBarrier, WriteTicket};
use read_threads::ReadThreads;
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
    readers: ReadThreads,
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
                readers: ReadThreads::new(readers),
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

    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&rusqlite::Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.inner.readers.run(f).await
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
