//! The todos, behind the backend-neutral [`TodoStore`] trait: SQLite ([`SqliteTodoStore`],
//! `modt_todo.db`) or PostgreSQL ([`PostgresTodoStore`], schema `modt_todo`), chosen by
//! [`open`] from a `modt_store::Location`. Both pass the same suite (`tests/store_suite.rs`).
//!
//! A write ([`Write`]) is one transaction: it recalls the answer of any [`RequestKey`] it
//! carries (a retried request is answered again, not applied again), else checks ownership
//! and the `If-Match` versions, changes the row, and remembers its answer under each key —
//! all or nothing, so a committed todo always has its keys remembered with it.
//!
//! - `model`: what goes in and out ([`Write`], [`Outcome`], [`ListSpec`], [`Stored`]).
//! - `remembered`: request keys ([`RequestKey`]) and remembered answers, as both backends
//!   store them.
//! - `list_sql`: the one list query (filter, keyset after a cursor, order), for both.
//! - [`sqlite`]: a writer thread and read connections from `spawn_blocking`.
//! - [`postgres`]: transactions on a deadpool of connections.

mod list_sql;
mod model;
pub mod postgres;
pub(crate) mod remembered;
pub mod sqlite;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

pub use model::{
    Applied, ListSpec, NewTodo, Outcome, Position, Sort, SortKey, Stored, Write, WriteOp,
};
pub use postgres::PostgresTodoStore;
pub use remembered::{hash, hash_request, RequestKey};
pub use sqlite::SqliteTodoStore;

/// The database's file name in the data directory.
pub const SQLITE_FILE: &str = "modt_todo.db";

/// The unit's PostgreSQL schema.
pub const SCHEMA: &str = "modt_todo";

/// How long a request's retry key (its reply topic and request id) and answer are
/// remembered: an MQTT re-send or a requester's own retry comes within seconds.
pub const REMEMBER_RETRIES: Duration = Duration::from_secs(10 * 60);

/// How long an `Idempotency-Key` and its answer are remembered, per owner.
pub const REMEMBER_IDEMPOTENCY_KEYS: Duration = Duration::from_secs(24 * 60 * 60);

/// How often remembered answers past their window are removed (at most).
pub const FORGET_EVERY: Duration = Duration::from_secs(60);

/// What can go wrong with the store.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// No such todo, or not the caller's.
    #[error("no such todo")]
    NotFound,
    /// The todo is at another version than `If-Match` asked for; nothing was written.
    #[error("the todo is at version {current}, not the one If-Match names")]
    PreconditionFailed {
        /// Its version now.
        current: u64,
    },
    /// A request key was remembered with another request (same `Idempotency-Key`, other
    /// method, todo or body); nothing was written.
    #[error("this Idempotency-Key was used for another request")]
    KeyReused,
    /// The database could not be opened, prepared or migrated.
    #[error("cannot open the todo database {location}: {reason}")]
    Open {
        /// The file or database (never with a password).
        location: String,
        /// Why.
        reason: String,
    },
    /// The store cannot take the work now (queue full, closed, no connection).
    #[error("the todo store is unavailable: {0}")]
    Unavailable(String),
    /// The database failed.
    #[error("todo storage failed: {0}")]
    Storage(String),
}

/// The todos of every user.
#[async_trait]
pub trait TodoStore: Send + Sync + std::fmt::Debug + 'static {
    /// Applies `write` in one transaction, or answers it again when one of its keys is
    /// remembered (see the module's doc).
    async fn write(&self, write: Write) -> Result<Applied, StoreError>;

    /// The todo `id`, if it exists and belongs to `owner` (`None`: any owner).
    async fn get(&self, owner: Option<&str>, id: &str) -> Result<Option<Stored>, StoreError>;

    /// Up to `spec.limit` todos of `spec.owner` after `spec.after`, in `spec.sort` order.
    async fn list(&self, spec: &ListSpec) -> Result<Vec<Stored>, StoreError>;

    /// Finishes the writes under way and closes the database. Blocking: call it off the
    /// async runtime (`Unit::on_stop`). Later calls fail with [`StoreError::Unavailable`].
    fn close(&self);
}

/// Opens the todo store where `location` says, bringing its schema up to date; `queue` bounds
/// the writes waiting (SQLite) or the connections (PostgreSQL, at most
/// [`postgres::MAX_CONNECTIONS`]).
pub async fn open(
    location: &modt_store::Location,
    queue: usize,
) -> Result<Arc<dyn TodoStore>, StoreError> {
    match location {
        modt_store::Location::Sqlite { path } => {
            let path = path.clone();
            let store = tokio::task::spawn_blocking(move || SqliteTodoStore::open(path, queue))
                .await
                .map_err(|e| StoreError::Unavailable(format!("the opening task failed: {e}")))??;
            Ok(Arc::new(store))
        }
        modt_store::Location::Postgres { url, schema } => {
            Ok(Arc::new(PostgresTodoStore::open(url, schema).await?))
        }
        other => Err(StoreError::Open {
            location: other.to_string(),
            reason: "this build does not know that kind of database".into(),
        }),
    }
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
