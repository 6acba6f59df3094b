//! The unit's one entry to its storage: [`open`] the backend a [`Location`] names, and close
//! it after the unit stops ([`OpenedStore::close`]).

use std::sync::Arc;

use modt_store::Location;

use super::postgres::PostgresStore;
use super::sqlite::SqliteStore;
use super::{Store, StoreError};

/// The state unit's SQLite file in the data directory (`modt_state.db`, as it always was).
pub const SQLITE_FILE: &str = "modt_state.db";

/// The state unit's schema in a shared PostgreSQL database.
pub const SCHEMA: &str = super::postgres::schema::SCHEMA;

/// An open store, and what closing it takes.
#[derive(Debug)]
pub struct OpenedStore {
    /// The store, for [`unit`](crate::unit).
    pub store: Arc<dyn Store>,
    backend: Backend,
}

#[derive(Debug)]
enum Backend {
    Sqlite(SqliteStore),
    /// With the runtime its writer task runs on, for [`OpenedStore::close_blocking`].
    Postgres(PostgresStore, tokio::runtime::Handle),
}

/// Opens the state unit's store where `location` says (see [`modt_store::resolve`], with
/// [`SQLITE_FILE`] and [`SCHEMA`]): creating and migrating its schema, and starting its
/// writer (a thread for SQLite, a task on the current runtime for PostgreSQL). `queue`
/// bounds the write batches waiting for the writer: size it from the unit's in-flight limit
/// (submitting beyond it fails with `unavailable`).
///
/// ```no_run
/// # async fn f() -> Result<(), modt_state::StoreError> {
/// let at = modt_store::Location::sqlite("modt-data/modt_state.db");
/// let opened = modt_state::store::open(&at, 2 * modt_state::DEFAULT_MAX_CONCURRENT_REQUESTS).await?;
/// let unit = modt_state::unit(opened.store.clone(), modt_state::StateConfig::default())
///     // After the unit stops, on a blocking thread: commit what is queued, stop the writer.
///     .on_stop(move || opened.close_blocking());
/// # drop(unit);
/// # Ok(()) }
/// ```
pub async fn open(location: &Location, queue: usize) -> Result<OpenedStore, StoreError> {
    match location {
        Location::Sqlite { path } => {
            let path = path.clone();
            let store = tokio::task::spawn_blocking(move || SqliteStore::open(path, queue))
                .await
                .map_err(|e| StoreError::Unavailable(format!("opening failed: {e}")))??;
            Ok(OpenedStore {
                store: Arc::new(store.clone()),
                backend: Backend::Sqlite(store),
            })
        }
        Location::Postgres { url, schema } => {
            let store = PostgresStore::open(url, schema, queue).await?;
            Ok(OpenedStore {
                store: Arc::new(store.clone()),
                backend: Backend::Postgres(store, tokio::runtime::Handle::current()),
            })
        }
        other => Err(StoreError::Unavailable(format!(
            "the state unit cannot store its data in {other}"
        ))),
    }
}

impl OpenedStore {
    /// `"SQLite"` or `"PostgreSQL"`.
    pub fn backend(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite(_) => "SQLite",
            Backend::Postgres(..) => "PostgreSQL",
        }
    }

    /// Commits every write submitted so far and stops the writer. Call it after the unit
    /// has stopped (no more submissions); later submissions fail with `unavailable`.
    pub async fn close(self) {
        match self.backend {
            Backend::Sqlite(store) => {
                if let Err(e) = tokio::task::spawn_blocking(move || store.close()).await {
                    tracing::error!(error = %e, "closing the state database failed");
                }
            }
            Backend::Postgres(store, _) => store.close().await,
        }
    }

    /// [`close`](Self::close) for a blocking thread, e.g. a [`modt::Unit::on_stop`] clean-up:
    /// blocks until everything submitted is committed. Never call it on an async runtime's
    /// thread (it would block, or panic inside `block_on`).
    pub fn close_blocking(self) {
        match self.backend {
            Backend::Sqlite(store) => store.close(),
            Backend::Postgres(store, runtime) => runtime.block_on(store.close()),
        }
    }
}
