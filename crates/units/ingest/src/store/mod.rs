//! The unit's data, behind the backend-neutral [`IngestStore`] trait: SQLite
//! ([`sqlite::SqliteIngestStore`], `modt_ingest.db`) or PostgreSQL
//! ([`postgres::PostgresIngestStore`], schema `modt_ingest`), chosen by [`open`] from a
//! `modt_store::Location`. Both pass the same suite (`tests/store.rs`).
//!
//! What it keeps, each bounded by a named limit:
//! - connections (the password sealed, see `crate::secret`), and each one's log
//!   ([`MAX_LOG_PER_CONNECTION`] entries);
//! - the discovered topics with their counters ([`MAX_TOPICS`] by default);
//! - the device model ([`MAX_DEVICES`] by default): gateways, dataloggers, sensors with
//!   their latest values, and each
//!   sensor's last [`MAX_HISTORY_POINTS`] values (a ring: no deletes on the hot path);
//! - the parse log ([`MAX_PARSE_LOG`] entries, oldest removed first).
//!
//! Messages arrive in [`Batch`]es from the one writer (`crate::pipeline`): one transaction
//! per batch, never one per message.
//!
//! - [`schema`]: the SQLite migrations. [`sqlite`]: the writer thread and read connections.
//! - [`postgres`]: its migrations, transactions on a pool. `sql`: queries both run as written;
//!   `tree`: the device tree from the rows both read.
//! - `fold`: a batch's device changes, one row each; `limit`: the room under the limits.
//! - `rows`: what the store keeps of a connection ([`StoredConnection`]) and the queries' inputs.

pub(crate) mod fold;
pub(crate) mod limit;
pub mod postgres;
pub mod rows;
pub mod schema;
pub(crate) mod sql;
pub mod sqlite;
pub(crate) mod text;
pub(crate) mod tree;

use std::sync::Arc;

use async_trait::async_trait;
use modt::protocol::ingest::{
    ConnectionStatus, DeviceTree, DiscoveredTopic, ParseFailure, SensorHistory, SensorKey,
    MAX_HISTORY_POINTS,
};

pub use rows::{
    Applied, Batch, DeviceKey, Limits, ParseLogQuery, StoredConnection, TopicDelta, TopicQuery,
};

/// The database's file name in the data directory.
pub const SQLITE_FILE: &str = "modt_ingest.db";

/// The unit's PostgreSQL schema.
pub const SCHEMA: &str = "modt_ingest";

/// Entries kept in one connection's log (the oldest go first).
pub const MAX_LOG_PER_CONNECTION: usize = 200;

/// Entries kept in the parse log (the oldest go first).
pub const MAX_PARSE_LOG: usize = 10_000;

/// Discovered topics recorded at most, by default (`--ingest-max-topics`): beyond, a new
/// topic's messages are still handled, but the topic is not recorded (counted instead).
pub const MAX_TOPICS: u64 = 100_000;

/// Devices (gateways, dataloggers and sensors together) in the device model at most, by
/// default (`--ingest-max-devices`): beyond, a new device is not added (counted instead).
/// Each sensor keeps [`MAX_HISTORY_POINTS`] points, so this also bounds the history.
pub const MAX_DEVICES: u64 = 100_000;

/// What can go wrong with the store.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// No such connection.
    #[error("no such connection")]
    NotFound,
    /// The connection is at another version than `If-Match` asked for; nothing was written.
    #[error("the connection is at version {current}, not the one If-Match names")]
    PreconditionFailed {
        /// Its version now.
        current: u64,
    },
    /// The database could not be opened, prepared or migrated.
    #[error("cannot open the ingest database {location}: {reason}")]
    Open {
        /// The file or database (never with a password).
        location: String,
        /// Why.
        reason: String,
    },
    /// The store cannot take the work now (queue full, closed).
    #[error("the ingest store is unavailable: {0}")]
    Unavailable(String),
    /// The database failed.
    #[error("ingest storage failed: {0}")]
    Storage(String),
}

/// Everything the ingest unit keeps.
#[async_trait]
pub trait IngestStore: Send + Sync + std::fmt::Debug + 'static {
    /// Every connection, by name.
    async fn connections(&self) -> Result<Vec<StoredConnection>, StoreError>;

    /// One connection.
    async fn connection(&self, id: &str) -> Result<Option<StoredConnection>, StoreError>;

    /// Adds a new connection (its id is new).
    async fn create(&self, connection: StoredConnection) -> Result<(), StoreError>;

    /// Replaces the connection of the same id if it is still at version `expected`
    /// (`connection.version` is the new one): else [`StoreError::PreconditionFailed`] or
    /// [`StoreError::NotFound`].
    async fn replace(&self, connection: StoredConnection, expected: u64) -> Result<(), StoreError>;

    /// Removes a connection (if at one of `if_match`'s versions, when given), with its log.
    async fn delete(
        &self,
        id: &str,
        if_match: Option<Vec<u64>>,
    ) -> Result<StoredConnection, StoreError>;

    /// Appends to a connection's log, keeping its last [`MAX_LOG_PER_CONNECTION`] entries.
    async fn log(&self, status: ConnectionStatus) -> Result<(), StoreError>;

    /// A connection's log, newest first, at most `limit`.
    async fn connection_log(
        &self,
        id: &str,
        limit: usize,
    ) -> Result<Vec<ConnectionStatus>, StoreError>;

    /// A flag the unit keeps for itself (e.g. that the demo connection was made once).
    async fn flag(&self, key: &str) -> Result<bool, StoreError>;

    /// Sets such a flag.
    async fn set_flag(&self, key: &str) -> Result<(), StoreError>;

    /// Applies one batch of received messages in one transaction, recording new topics and
    /// devices only within `batch.limits`; says what it left out. Shared, so the writer can
    /// try the same batch again when this fails.
    async fn apply(&self, batch: Arc<Batch>) -> Result<Applied, StoreError>;

    /// Discovered topics, most recently seen first.
    async fn topics(&self, query: TopicQuery) -> Result<Vec<DiscoveredTopic>, StoreError>;

    /// Every site, gateway, datalogger and sensor with latest values.
    async fn devices(&self) -> Result<DeviceTree, StoreError>;

    /// One sensor's last values, oldest first ([`MAX_HISTORY_POINTS`] at most).
    async fn history(&self, key: SensorKey) -> Result<Option<SensorHistory>, StoreError>;

    /// The parse log, newest first.
    async fn parse_log(&self, query: ParseLogQuery) -> Result<Vec<ParseFailure>, StoreError>;

    /// Finishes the writes under way and closes the database. Blocking: call it off the
    /// async runtime (`Unit::on_stop`).
    fn close(&self);
}

/// Opens the store where `location` says, bringing its schema up to date; `queue` bounds the
/// writes waiting.
pub async fn open(
    location: &modt_store::Location,
    queue: usize,
) -> Result<Arc<dyn IngestStore>, StoreError> {
    match location {
        modt_store::Location::Sqlite { path } => {
            let path = path.clone();
            let store =
                tokio::task::spawn_blocking(move || sqlite::SqliteIngestStore::open(path, queue))
                    .await
                    .map_err(|e| {
                        StoreError::Unavailable(format!("the opening task failed: {e}"))
                    })??;
            Ok(Arc::new(store))
        }
        modt_store::Location::Postgres { url, schema } => Ok(Arc::new(
            postgres::PostgresIngestStore::open(url, schema).await?,
        )),
        other => Err(StoreError::Open {
            location: other.to_string(),
            reason: "this build does not know that kind of database".into(),
        }),
    }
}

/// The history ring's slot of a sensor's `n`th point.
pub(crate) fn history_slot(n: i64) -> i64 {
    n.rem_euclid(MAX_HISTORY_POINTS as i64)
}
