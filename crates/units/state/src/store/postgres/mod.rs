//! The PostgreSQL store: the state unit's tables in its own schema (`modt_state` when the
//! database is shared), one writer task with group commit, reads on pooled connections.
//!
//! - `schema`: the migrations.
//! - `writer`: the writer task (many batches per transaction, one commit per group).
//! - `apply`: one group commit: recalled requests, pipelined and checked batches, answers.
//! - `writes`: the statements; runs of sets in one multi-row upsert.
//!
//! Semantics are the SQLite store's, checked by the same test suite (`tests/store_suite.rs`).

mod apply;
pub mod schema;
mod writer;
mod writes;

use std::sync::Arc;

use async_trait::async_trait;
use modt_store::{PgPool, PostgresUrl};
use tokio_postgres::Row;

use super::{decode_value, Entry, Store, StoreError, Write, WriteBarrier, WriteTicket};
use crate::store::sqlite::now_ms;
use writer::Writer;

/// Connections of the pool: the writer's, and reads beside it.
pub const MAX_CONNECTIONS: usize = 8;

/// The PostgreSQL-backed [`Store`].
#[derive(Debug, Clone)]
pub struct PostgresStore {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    pool: PgPool,
    writer: Writer,
}

impl PostgresStore {
    /// Connects to `url`, creates `schema` if missing and migrates it, and starts the writer
    /// task on the current runtime. `queue` bounds the writes waiting for the writer;
    /// submitting beyond it fails with `unavailable`.
    pub async fn open(
        url: &PostgresUrl,
        schema: &str,
        queue: usize,
    ) -> Result<PostgresStore, StoreError> {
        let pool = PgPool::open(url, schema, MAX_CONNECTIONS, schema::MIGRATIONS)
            .await
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        let writer = Writer::start(pool.clone(), queue);
        Ok(PostgresStore {
            inner: Arc::new(Inner { pool, writer }),
        })
    }

    /// Commits what is queued, stops the writer and closes the pool.
    pub async fn close(&self) {
        self.inner.writer.stop().await;
        self.inner.pool.close();
    }

    async fn query(
        &self,
        sql: &'static str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<Vec<Row>, StoreError> {
        let conn = self
            .inner
            .pool
            .get()
            .await
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        let stmt = conn.prepare_cached(sql).await.map_err(pg)?;
        conn.query(&stmt, params).await.map_err(pg)
    }
}

pub(crate) fn pg(e: tokio_postgres::Error) -> StoreError {
    let message = match e.as_db_error() {
        Some(db) => format!("{}: {}", db.code().code(), db.message()),
        None => e.to_string(),
    };
    StoreError::Storage(message)
}

/// Whether `e` (made by [`pg`], which puts the SQLSTATE first) is PostgreSQL aborting a
/// transaction for contention with another: `40P01` deadlock detected, `40001`
/// serialization failure. Such a transaction wrote nothing and may run again.
pub(crate) fn is_contention(e: &StoreError) -> bool {
    matches!(e, StoreError::Storage(m) if m.starts_with("40P01:") || m.starts_with("40001:"))
}

fn entry(row: &Row, at: usize) -> Result<Entry, StoreError> {
    let version: i64 = row.try_get(at + 1).map_err(pg)?;
    Ok(Entry {
        value: decode_value(row.try_get(at).map_err(pg)?),
        version: version.max(0) as u64,
        updated_at: row.try_get(at + 2).map_err(pg)?,
        expires_at_ms: row.try_get(at + 3).map_err(pg)?,
    })
}

#[async_trait]
impl Store for PostgresStore {
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
        const SQL: &str = "SELECT value, version, updated_at, expires_at FROM states
            WHERE user_id = $1 AND (expires_at IS NULL OR expires_at > $2) AND key = $3";
        let rows = self.query(SQL, &[&user_id, &now_ms(), &key]).await?;
        rows.first().map(|r| entry(r, 0)).transpose()
    }

    async fn get_many(
        &self,
        user_id: &str,
        keys: &[String],
    ) -> Result<Vec<Option<Entry>>, StoreError> {
        const SQL: &str = "SELECT key, value, version, updated_at, expires_at FROM states
            WHERE user_id = $1 AND (expires_at IS NULL OR expires_at > $2) AND key = ANY($3)";
        let rows = self.query(SQL, &[&user_id, &now_ms(), &keys]).await?;
        let mut found = std::collections::HashMap::with_capacity(rows.len());
        for row in &rows {
            let key: String = row.try_get(0).map_err(pg)?;
            found.insert(key, entry(row, 1)?);
        }
        Ok(keys.iter().map(|k| found.get(k).cloned()).collect())
    }

    async fn keys(&self, user_id: &str, prefix: Option<&str>) -> Result<Vec<String>, StoreError> {
        const SQL: &str =
            "SELECT key FROM states WHERE user_id = $1 AND (expires_at IS NULL OR expires_at > $2)
            AND starts_with(key, $3) ORDER BY key";
        let rows = self
            .query(SQL, &[&user_id, &now_ms(), &prefix.unwrap_or("")])
            .await?;
        rows.iter().map(|r| r.try_get(0).map_err(pg)).collect()
    }

    async fn all(&self, user_id: &str) -> Result<Vec<(String, Entry)>, StoreError> {
        const SQL: &str = "SELECT key, value, version, updated_at, expires_at FROM states
            WHERE user_id = $1 AND (expires_at IS NULL OR expires_at > $2) ORDER BY key";
        let rows = self.query(SQL, &[&user_id, &now_ms()]).await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0).map_err(pg)?, entry(r, 1)?)))
            .collect()
    }
}
