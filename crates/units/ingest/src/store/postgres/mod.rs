//! The PostgreSQL ingest store: the same tables as on SQLite in the unit's schema
//! (`modt_ingest`), on a deadpool of connections. Each write (a connection change, a log
//! entry, a batch) is one transaction; a connection's version is checked with its row locked
//! (`FOR UPDATE`), so concurrent changes take turns.
//!
//! - `schema`: the migrations. `write`: the writes. `read`: the queries and row decoding.

mod read;
pub mod schema;
mod write;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use modt::protocol::ingest::{
    ConnectionStatus, DeviceTree, DiscoveredTopic, ParseFailure, SensorHistory, SensorKey,
};
use modt_store::{PgPool, PostgresUrl};

use super::{Applied, Batch, IngestStore, ParseLogQuery, StoreError, StoredConnection, TopicQuery};

/// Connections the pool keeps at most (writes and reads share them).
pub const MAX_CONNECTIONS: usize = 8;

/// The PostgreSQL [`IngestStore`].
#[derive(Debug)]
pub struct PostgresIngestStore {
    pool: PgPool,
    closed: AtomicBool,
}

impl PostgresIngestStore {
    /// Connects to `url`, creates and migrates `schema`.
    pub async fn open(url: &PostgresUrl, schema: &str) -> Result<Self, StoreError> {
        let pool = PgPool::open(url, schema, MAX_CONNECTIONS, schema::MIGRATIONS)
            .await
            .map_err(|e| StoreError::Open {
                location: format!("{url} (schema {schema})"),
                reason: e.to_string(),
            })?;
        Ok(PostgresIngestStore {
            pool,
            closed: AtomicBool::new(false),
        })
    }

    async fn connection_(&self) -> Result<modt_store::PgConnection, StoreError> {
        if self.closed.load(Ordering::Acquire) {
            return Err(StoreError::Unavailable("the store is closed".into()));
        }
        self.pool
            .get()
            .await
            .map_err(|e| StoreError::Unavailable(e.to_string()))
    }
}

pub(crate) fn pg(e: tokio_postgres::Error) -> StoreError {
    StoreError::Storage(modt_store::postgres::error("running a query", e).to_string())
}

#[async_trait]
impl IngestStore for PostgresIngestStore {
    async fn connections(&self) -> Result<Vec<StoredConnection>, StoreError> {
        read::connections(&self.connection_().await?).await
    }

    async fn connection(&self, id: &str) -> Result<Option<StoredConnection>, StoreError> {
        read::connection(&self.connection_().await?, id, false).await
    }

    async fn create(&self, connection: StoredConnection) -> Result<(), StoreError> {
        write::insert_connection(&self.connection_().await?, &connection).await
    }

    async fn replace(&self, connection: StoredConnection, expected: u64) -> Result<(), StoreError> {
        let mut conn = self.connection_().await?;
        let tx = conn.transaction().await.map_err(pg)?;
        write::replace_connection(&tx, &connection, expected).await?;
        tx.commit().await.map_err(pg)
    }

    async fn delete(
        &self,
        id: &str,
        if_match: Option<Vec<u64>>,
    ) -> Result<StoredConnection, StoreError> {
        let mut conn = self.connection_().await?;
        let tx = conn.transaction().await.map_err(pg)?;
        let deleted = write::delete_connection(&tx, id, if_match.as_deref()).await?;
        tx.commit().await.map_err(pg)?;
        Ok(deleted)
    }

    async fn log(&self, status: ConnectionStatus) -> Result<(), StoreError> {
        let mut conn = self.connection_().await?;
        let tx = conn.transaction().await.map_err(pg)?;
        write::log(&tx, &status).await?;
        tx.commit().await.map_err(pg)
    }

    async fn connection_log(
        &self,
        id: &str,
        limit: usize,
    ) -> Result<Vec<ConnectionStatus>, StoreError> {
        read::connection_log(&self.connection_().await?, id, limit).await
    }

    async fn flag(&self, key: &str) -> Result<bool, StoreError> {
        let conn = self.connection_().await?;
        let row = conn
            .query_opt("SELECT 1 FROM flags WHERE key = $1", &[&key])
            .await
            .map_err(pg)?;
        Ok(row.is_some())
    }

    async fn set_flag(&self, key: &str) -> Result<(), StoreError> {
        let conn = self.connection_().await?;
        conn.execute(
            "INSERT INTO flags (key) VALUES ($1) ON CONFLICT DO NOTHING",
            &[&key],
        )
        .await
        .map(drop)
        .map_err(pg)
    }

    async fn apply(&self, batch: Arc<Batch>) -> Result<Applied, StoreError> {
        let mut conn = self.connection_().await?;
        let tx = conn.transaction().await.map_err(pg)?;
        let applied = write::batch(&tx, &batch).await?;
        tx.commit().await.map_err(pg)?;
        Ok(applied)
    }

    async fn topics(&self, query: TopicQuery) -> Result<Vec<DiscoveredTopic>, StoreError> {
        read::topics(&self.connection_().await?, &query).await
    }

    async fn devices(&self) -> Result<DeviceTree, StoreError> {
        read::devices(&self.connection_().await?).await
    }

    async fn history(&self, key: SensorKey) -> Result<Option<SensorHistory>, StoreError> {
        read::history(&self.connection_().await?, key).await
    }

    async fn parse_log(&self, query: ParseLogQuery) -> Result<Vec<ParseFailure>, StoreError> {
        read::parse_log(&self.connection_().await?, &query).await
    }

    fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.pool.close();
    }
}
