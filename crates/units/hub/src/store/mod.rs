//! The live values, behind the backend-neutral [`HubStore`] trait: SQLite
//! ([`SqliteHubStore`], `modt_hub.db`) or PostgreSQL ([`PostgresHubStore`], schema `modt_hub`),
//! chosen by [`open`] from a `modt_store::Location`.
//!
//! Both keep the same two guarantees. **Order**: every read and write is a job on one bounded
//! queue, done one at a time in queue order by the store's worker, so a GET that arrives after
//! a POST sees it. **Durability**: a write's job completes only once its commit is on disk
//! (SQLite `synchronous=FULL`; PostgreSQL's commit with `synchronous_commit` on), so an
//! acknowledged write is never lost. A registry sees few writes, so one connection does all
//! the work and there is no group commit (the state unit has that). Values are stored as JSON
//! text, so their JSON types (and key order) round-trip.
//!
//! - `queue`: the jobs and the bounded queue in front of either worker.
//! - `sqlite`: the SQLite worker, a thread of its own.
//! - `postgres`: the PostgreSQL worker, a task on one pooled connection.

mod postgres;
mod queue;
mod sqlite;

use std::sync::Arc;

use serde_json::Value;

pub use postgres::PostgresHubStore;
pub use queue::Pending;
pub use sqlite::SqliteHubStore;

/// The database's file name in the data directory.
pub const DB_FILE: &str = "modt_hub.db";

/// The unit's PostgreSQL schema.
pub const SCHEMA: &str = "modt_hub";

/// What can go wrong with the store.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database could not be opened, prepared or migrated.
    #[error("cannot open the hub database {location}: {reason}")]
    Open {
        /// The file or database (never with a password).
        location: String,
        /// Why.
        reason: String,
    },
    /// The store cannot take the job now (queue full, or closed).
    #[error("the hub store is unavailable: {0}")]
    Unavailable(String),
    /// The database failed, or a stored value is not JSON.
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

/// The hub's live values: ordered jobs, durable writes (see the module's guarantees).
pub trait HubStore: Send + Sync + std::fmt::Debug + 'static {
    /// Queues a read of `key`'s live value, behind every job queued before it. Never blocks;
    /// fails with [`StoreError::Unavailable`] when the queue is full or the store closed.
    fn submit_get(&self, key: String) -> Result<Pending<Option<Value>>, StoreError>;

    /// Queues a write of `value` under `key`. Never blocks. Its result, once the value is on
    /// disk, says whether it was stored (always for [`WriteMode::Upsert`]).
    fn submit_put(
        &self,
        key: String,
        value: Value,
        mode: WriteMode,
    ) -> Result<Pending<bool>, StoreError>;

    /// Finishes every queued job, then stops the worker and closes the database. Blocking:
    /// call it off the async runtime (e.g. from `Unit::on_stop`). Jobs submitted afterwards
    /// fail with [`StoreError::Unavailable`].
    fn close(&self);
}

impl dyn HubStore {
    /// `key`'s live value.
    pub async fn get(&self, key: &str) -> Result<Option<Value>, StoreError> {
        self.submit_get(key.to_owned())?.wait().await
    }

    /// Stores `value` under `key` as `mode` says; `true` once it is on disk.
    pub async fn put(&self, key: &str, value: Value, mode: WriteMode) -> Result<bool, StoreError> {
        self.submit_put(key.to_owned(), value, mode)?.wait().await
    }
}

/// Opens the hub's store where `location` says, bringing its schema up to date, with room
/// for `queue` waiting jobs (size it at least the unit's in-flight limit, so a full queue
/// does not refuse requests the unit accepted).
///
/// The store's [`close`](HubStore::close) is the close hook: call it once the unit stopped.
///
/// ```no_run
/// # async fn f() -> Result<(), modt_hub::StoreError> {
/// let at = modt_store::Location::sqlite("modt-data/modt_hub.db");
/// let store = modt_hub::store::open(&at, 1024).await?;
/// let unit = modt_hub::unit(store.clone(), Default::default());
/// // … run the unit; then, off the runtime:
/// store.close();
/// # Ok(()) }
/// ```
pub async fn open(
    location: &modt_store::Location,
    queue: usize,
) -> Result<Arc<dyn HubStore>, StoreError> {
    match location {
        modt_store::Location::Sqlite { path } => {
            let path = path.clone();
            let store = tokio::task::spawn_blocking(move || SqliteHubStore::open(path, queue))
                .await
                .map_err(|e| StoreError::Unavailable(format!("the opening task failed: {e}")))??;
            Ok(Arc::new(store))
        }
        modt_store::Location::Postgres { url, schema } => {
            Ok(Arc::new(PostgresHubStore::open(url, schema, queue).await?))
        }
        other => Err(StoreError::Open {
            location: other.to_string(),
            reason: "this build does not know that kind of database".into(),
        }),
    }
}

/// A value as stored: its JSON text.
fn encode(value: &Value) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Storage(e.to_string()))
}

/// A stored value back from its JSON text.
fn decode(key: &str, text: &str) -> Result<Value, StoreError> {
    serde_json::from_str(text)
        .map_err(|e| StoreError::Storage(format!("the stored value of {key:?} is not JSON: {e}")))
}

#[cfg(test)]
mod tests;
