//! The storage seam of the state unit: what any backend (SQLite, PostgreSQL) offers, and
//! [`open`], which opens the one a [`modt_store::Location`] names.
//!
//! Writes are *submitted* synchronously, in order, and complete asynchronously once durable;
//! reads can wait for a [`WriteBarrier`] so they see every write submitted before them.
//!
//! A batch submitted with a request's retry key is applied at most once: the store keeps the
//! key and the batch's outcome in the same transaction as the writes, for
//! [`REMEMBER_REQUESTS`], and a batch with a key it holds gets that outcome again
//! ([`Committed::replayed`]) without being applied.

//! - `queue`: the write queue both backends share (ordering, barriers, group commit).
//! - `remembered`: how retry keys and their answers are stored.
//! - [`sqlite`], [`postgres`]: the backends.
//! - `open`: [`open`] and [`OpenedStore`], the unit's one entry.

mod open;
pub mod postgres;
pub(crate) mod queue;
pub(crate) mod remembered;
pub mod sqlite;

pub use open::{open, OpenedStore, SCHEMA, SQLITE_FILE};
pub use queue::MAX_BATCH;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value;
use tokio::sync::oneshot;

/// How long a store remembers a request's retry key and outcome (at least; it forgets older
/// ones about once a minute). A requester re-sending a write within this time gets the first
/// answer; after it, the write would apply again.
pub const REMEMBER_REQUESTS: Duration = Duration::from_secs(600);

/// A stored key.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The value, with its JSON type.
    pub value: Value,
    /// 1 on creation, +1 on every write.
    pub version: u64,
    /// Last write, `YYYY-MM-DD HH:MM:SS` UTC (the original's `CURRENT_TIMESTAMP` format).
    pub updated_at: String,
    /// Expiry in Unix milliseconds, if the key has a TTL.
    pub expires_at_ms: Option<i64>,
}

/// One change to apply.
#[derive(Debug, Clone, PartialEq)]
pub enum Write {
    /// Create or replace a key.
    Set {
        /// Whose key.
        user_id: String,
        /// The key.
        key: String,
        /// The value.
        value: Value,
        /// Only if the current version is this (0: the key must not exist).
        if_version: Option<u64>,
        /// Expire this long after the write.
        ttl: Option<Duration>,
    },
    /// Delete a key.
    Delete {
        /// Whose key.
        user_id: String,
        /// The key.
        key: String,
        /// Only if the current version is this.
        if_version: Option<u64>,
    },
    /// Delete all of a user's keys.
    Clear {
        /// Whose keys.
        user_id: String,
    },
}

/// What one write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum WriteOutcome {
    /// The key now has this version.
    Set {
        /// The new version.
        version: u64,
    },
    /// The key was deleted (`Some(version it had)`) or did not exist (`None`).
    Deleted {
        /// The deleted version.
        version: Option<u64>,
    },
    /// This many keys were removed.
    Removed {
        /// How many.
        count: u64,
    },
}

/// Why a store operation failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A version check failed; nothing of the batch was written.
    #[error("version conflict on key {key:?}: expected version {expected}, found {found}")]
    Conflict {
        /// The key.
        key: String,
        /// The version asked for.
        expected: u64,
        /// The version found (0: no such key).
        found: u64,
    },
    /// The store cannot take work now (writer gone, queue full).
    #[error("the store is unavailable: {0}")]
    Unavailable(String),
    /// The database failed.
    #[error("storage failure: {0}")]
    Storage(String),
}

/// A committed batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Committed {
    /// One outcome per write, in order.
    pub outcomes: Vec<WriteOutcome>,
    /// The batch's request had been applied before: these are its first outcomes, and
    /// nothing was written now.
    pub replayed: bool,
}

/// The result of a submitted batch, or why the whole batch failed (a replayed conflict is the
/// first conflict again).
pub type BatchResult = Result<Committed, StoreError>;

/// Resolves once a submitted batch is durable.
#[derive(Debug)]
pub struct WriteTicket(pub(crate) oneshot::Receiver<BatchResult>);

impl WriteTicket {
    /// Waits until the batch is committed to disk (or failed).
    pub async fn committed(self) -> BatchResult {
        self.0
            .await
            .unwrap_or_else(|_| Err(StoreError::Unavailable("the writer stopped".into())))
    }
}

/// Resolves once every write submitted before it was made is committed.
pub type WriteBarrier = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A per-user key-value store with ordered, durable, acknowledged writes.
#[async_trait]
pub trait Store: Send + Sync + std::fmt::Debug + 'static {
    /// Queues `writes` as one atomic batch, after everything submitted before. Never blocks.
    /// With `retry_key` (see `modt::RequestContext::retry_key`) the batch is applied at most
    /// once within [`REMEMBER_REQUESTS`]; a repeat gets the first outcome.
    fn submit(
        &self,
        retry_key: Option<&str>,
        writes: Vec<Write>,
    ) -> Result<WriteTicket, StoreError>;
    /// A barrier for reads that must see everything submitted so far.
    fn barrier(&self) -> WriteBarrier;
    /// One key (expired keys are absent).
    async fn get(&self, user_id: &str, key: &str) -> Result<Option<Entry>, StoreError>;
    /// Several keys, in the order asked.
    async fn get_many(
        &self,
        user_id: &str,
        keys: &[String],
    ) -> Result<Vec<Option<Entry>>, StoreError>;
    /// Keys of a user, sorted, optionally only those starting with `prefix`.
    async fn keys(&self, user_id: &str, prefix: Option<&str>) -> Result<Vec<String>, StoreError>;
    /// All keys of a user with their entries, sorted by key.
    async fn all(&self, user_id: &str) -> Result<Vec<(String, Entry)>, StoreError>;
}

/// A stored value back to JSON. MoDT-rs stores JSON text, so every type round-trips. The
/// original db-unit stored `json.dumps` for objects/arrays and `str()` for the rest, and read
/// back with "`json.loads`, else the raw string"; the same rule serves its rows as it did.
pub(crate) fn decode_value(text: Option<String>) -> Value {
    match text {
        Some(text) => serde_json::from_str(&text).unwrap_or(Value::String(text)),
        None => Value::Null,
    }
}
