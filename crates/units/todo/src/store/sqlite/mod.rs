//! The SQLite todo store: `modt_todo.db` (WAL, `synchronous=FULL`), written by one thread of
//! its own (`writer`) and read through a small pool of read-only connections from
//! `spawn_blocking` (`reader`), so no SQLite call runs on an async runtime thread.
//!
//! - `schema`: the migrations.
//! - `writer`: the writer thread and one write's transaction.
//! - `reader`: the read connections and row decoding.

mod reader;
pub mod schema;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;

use super::{Applied, ListSpec, StoreError, Stored, TodoStore, Write};
use reader::ReadPool;
use writer::Writer;

/// The SQLite [`TodoStore`]. Cheap to clone (one store shared).
#[derive(Debug, Clone)]
pub struct SqliteTodoStore {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    path: PathBuf,
    writer: Writer,
    readers: ReadPool,
}

impl SqliteTodoStore {
    /// Opens (creating if needed, owner-only) the database at `path`, migrates it and starts
    /// the writer thread with room for `queue` waiting writes. Blocking: call it at start or
    /// from `spawn_blocking`.
    pub fn open(path: impl AsRef<Path>, queue: usize) -> Result<SqliteTodoStore, StoreError> {
        let path = path.as_ref().to_path_buf();
        let conn = modt_store::sqlite::open_writer(&path, schema::MIGRATIONS, |_| Ok(())).map_err(
            |e| StoreError::Open {
                location: path.display().to_string(),
                reason: e.to_string(),
            },
        )?;
        let writer = Writer::start(conn, queue)?;
        Ok(SqliteTodoStore {
            inner: Arc::new(Inner {
                readers: ReadPool::new(path.clone()),
                path,
                writer,
            }),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&rusqlite::Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || inner.readers.with(f))
            .await
            .map_err(|e| StoreError::Unavailable(format!("a read task failed: {e}")))?
    }
}

#[async_trait]
impl TodoStore for SqliteTodoStore {
    async fn write(&self, write: Write) -> Result<Applied, StoreError> {
        self.inner.writer.write(write).await
    }

    async fn get(&self, owner: Option<&str>, id: &str) -> Result<Option<Stored>, StoreError> {
        let (owner, id) = (owner.map(str::to_owned), id.to_owned());
        self.read(move |c| reader::get(c, owner.as_deref(), &id))
            .await
    }

    async fn list(&self, spec: &ListSpec) -> Result<Vec<Stored>, StoreError> {
        let spec = spec.clone();
        self.read(move |c| reader::list(c, &spec)).await
    }

    fn close(&self) {
        self.inner.writer.stop();
        self.inner.readers.close();
    }
}

pub(crate) fn storage(e: rusqlite::Error) -> StoreError {
    StoreError::Storage(e.to_string())
}
