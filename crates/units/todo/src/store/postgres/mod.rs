//! The PostgreSQL todo store: tables `todos` and `requests` in the unit's schema
//! (`modt_todo`), on a deadpool of connections. Each write is one transaction on its own
//! connection; the row it changes is locked (`FOR UPDATE`) while its version is checked, so
//! concurrent writes to one todo take turns. Two concurrent requests with the same key both
//! try to remember it: the second finds the first's row when it commits
//! (`ON CONFLICT … WHERE expired` changes nothing), rolls back, and answers with the first's
//! outcome. PostgreSQL returns from a commit once it is flushed (`synchronous_commit` on).
//!
//! - `schema`: the migrations.
//! - `write`: one write's transaction.

pub mod schema;
mod write;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use async_trait::async_trait;
use modt_store::{PgPool, PostgresUrl};
use tokio_postgres::types::ToSql;
use tokio_postgres::Row;

use super::list_sql::{self, Param, COLUMNS};
use super::{Applied, ListSpec, StoreError, Stored, TodoStore, Write, FORGET_EVERY};

/// Connections the pool keeps at most (writes and reads share them).
pub const MAX_CONNECTIONS: usize = 8;

/// Attempts of a write that lost a race for one of its keys (the second one recalls).
const ATTEMPTS: usize = 3;

/// The PostgreSQL [`TodoStore`].
#[derive(Debug)]
pub struct PostgresTodoStore {
    pool: PgPool,
    closed: AtomicBool,
    swept: Mutex<Option<Instant>>,
}

impl PostgresTodoStore {
    /// Connects to `url`, creates and migrates `schema`.
    pub async fn open(url: &PostgresUrl, schema: &str) -> Result<PostgresTodoStore, StoreError> {
        let pool = PgPool::open(url, schema, MAX_CONNECTIONS, schema::MIGRATIONS)
            .await
            .map_err(|e| StoreError::Open {
                location: format!("{url} (schema {schema})"),
                reason: e.to_string(),
            })?;
        Ok(PostgresTodoStore {
            pool,
            closed: AtomicBool::new(false),
            swept: Mutex::new(None),
        })
    }

    async fn connection(&self) -> Result<modt_store::PgConnection, StoreError> {
        if self.closed.load(Ordering::Acquire) {
            return Err(StoreError::Unavailable("the store is closed".into()));
        }
        self.pool
            .get()
            .await
            .map_err(|e| StoreError::Unavailable(e.to_string()))
    }

    /// Forgets expired request keys, at most every [`FORGET_EVERY`], outside any write's
    /// transaction (a failure is logged: it only delays the clean-up).
    async fn forget_expired(&self, now_ms: i64) {
        {
            let mut swept = self.swept.lock().unwrap_or_else(|p| p.into_inner());
            if swept.is_some_and(|at| at.elapsed() < FORGET_EVERY) {
                return;
            }
            *swept = Some(Instant::now());
        }
        let result = async {
            let conn = self.connection().await?;
            conn.execute("DELETE FROM requests WHERE expires_ms <= $1", &[&now_ms])
                .await
                .map_err(pg)
        }
        .await;
        if let Err(e) = result {
            tracing::warn!(error = %e, "could not forget expired request keys");
        }
    }
}

#[async_trait]
impl TodoStore for PostgresTodoStore {
    async fn write(&self, write: Write) -> Result<Applied, StoreError> {
        self.forget_expired(write.now_ms).await;
        for _ in 0..ATTEMPTS {
            let mut conn = self.connection().await?;
            if let Some(applied) = write::apply(&mut conn, &write).await? {
                return Ok(applied);
            }
        }
        Err(StoreError::Unavailable(
            "concurrent requests with the same key kept colliding".into(),
        ))
    }

    async fn get(&self, owner: Option<&str>, id: &str) -> Result<Option<Stored>, StoreError> {
        let conn = self.connection().await?;
        write::get(&conn, owner, id, false).await
    }

    async fn list(&self, spec: &ListSpec) -> Result<Vec<Stored>, StoreError> {
        let (sql, params) = list_sql::list(spec, |n| format!("${n}"));
        let values: Vec<Box<dyn ToSql + Sync + Send>> = params
            .into_iter()
            .map(|p| -> Box<dyn ToSql + Sync + Send> {
                match p {
                    Param::Text(t) => Box::new(t),
                    Param::Int(i) => Box::new(i),
                    Param::Bool(b) => Box::new(b),
                }
            })
            .collect();
        let refs: Vec<&(dyn ToSql + Sync)> = values
            .iter()
            .map(|v| v.as_ref() as &(dyn ToSql + Sync))
            .collect();
        let conn = self.connection().await?;
        let stmt = conn.prepare_cached(&sql).await.map_err(pg)?;
        let rows = conn.query(&stmt, &refs).await.map_err(pg)?;
        rows.iter().map(stored).collect()
    }

    fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.pool.close();
    }
}

/// A row of [`COLUMNS`].
pub(crate) fn stored(r: &Row) -> Result<Stored, StoreError> {
    Ok(Stored::from_columns(
        r.try_get(0).map_err(pg)?,
        r.try_get(1).map_err(pg)?,
        r.try_get(2).map_err(pg)?,
        r.try_get(3).map_err(pg)?,
        r.try_get(4).map_err(pg)?,
        r.try_get(5).map_err(pg)?,
        r.try_get(6).map_err(pg)?,
        r.try_get(7).map_err(pg)?,
    ))
}

/// The select of one todo, optionally locking it.
pub(crate) fn get_sql(lock: bool) -> String {
    format!(
        "SELECT {COLUMNS} FROM todos WHERE id = $1 AND ($2::text IS NULL OR owner = $2){}",
        if lock { " FOR UPDATE" } else { "" }
    )
}

pub(crate) fn pg(e: tokio_postgres::Error) -> StoreError {
    StoreError::Storage(modt_store::postgres::error("running a query", e).to_string())
}
