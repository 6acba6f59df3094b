//! The PostgreSQL hub store: table `hub_values` in the unit's schema (`modt_hub`), served by
//! one task that does the jobs one at a time on one pooled connection, so they keep their
//! queue order. A write is one autocommit statement; PostgreSQL returns from its commit once
//! the commit is flushed (with the default `synchronous_commit = on`), so a completed write
//! job is on disk.

use modt_store::{Migration, PgPool, PostgresUrl};
use serde_json::Value;

use super::queue::{Job, Jobs, Pending, Queue};
use super::{HubStore, StoreError, WriteMode};

/// Live values; `value` is the JSON text (JSONB would reorder keys and reformat numbers).
const V1_VALUES: &str = "CREATE TABLE IF NOT EXISTS hub_values (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
)";

/// Every migration of the PostgreSQL schema, in order.
const MIGRATIONS: &[Migration] = &[Migration::new(1, "values", V1_VALUES)];

/// The PostgreSQL [`HubStore`]. Its handle is shared behind an `Arc`.
#[derive(Debug)]
pub struct PostgresHubStore {
    queue: Queue,
}

impl PostgresHubStore {
    /// Connects to `url`, creates and migrates `schema`, and starts the worker task on the
    /// current runtime. `queue` bounds the jobs waiting for it.
    pub async fn open(
        url: &PostgresUrl,
        schema: &str,
        queue: usize,
    ) -> Result<PostgresHubStore, StoreError> {
        let pool = PgPool::open(url, schema, 1, MIGRATIONS)
            .await
            .map_err(|e| StoreError::Open {
                location: format!("{url} (schema {schema})"),
                reason: e.to_string(),
            })?;
        let (queue, jobs) = Queue::new(queue);
        tokio::spawn(serve(pool, jobs));
        Ok(PostgresHubStore { queue })
    }
}

impl HubStore for PostgresHubStore {
    fn submit_get(&self, key: String) -> Result<Pending<Option<Value>>, StoreError> {
        self.queue.get(key)
    }

    fn submit_put(
        &self,
        key: String,
        value: Value,
        mode: WriteMode,
    ) -> Result<Pending<bool>, StoreError> {
        self.queue.put(key, value, mode)
    }

    fn close(&self) {
        self.queue.close();
    }
}

/// The worker: does each job in queue order until told to stop or every handle is gone.
async fn serve(pool: PgPool, mut jobs: Jobs) {
    while let Some(job) = jobs.rx.recv().await {
        match job {
            Job::Get { key, done } => {
                let _ = done.send(get(&pool, &key).await);
            }
            Job::Put {
                key,
                value,
                mode,
                done,
            } => {
                let _ = done.send(put(&pool, &key, &value, mode).await);
            }
            Job::Stop => break,
        }
    }
    // Jobs queued behind the stop are refused: their `Pending` reads `unavailable`.
    jobs.rx.close();
    pool.close();
    let _ = jobs.finished.try_send(());
}

fn storage(e: tokio_postgres::Error) -> StoreError {
    StoreError::Storage(modt_store::postgres::error("running a query", e).to_string())
}

/// Whether `key` can be stored: PostgreSQL text holds no NUL (SQLite's does).
fn storable(key: &str) -> bool {
    !key.contains('\0')
}

async fn connection(pool: &PgPool) -> Result<modt_store::PgConnection, StoreError> {
    pool.get()
        .await
        .map_err(|e| StoreError::Unavailable(e.to_string()))
}

async fn get(pool: &PgPool, key: &str) -> Result<Option<Value>, StoreError> {
    if !storable(key) {
        return Ok(None);
    }
    let conn = connection(pool).await?;
    let stmt = conn
        .prepare_cached("SELECT value FROM hub_values WHERE key = $1")
        .await
        .map_err(storage)?;
    let row = conn.query_opt(&stmt, &[&key]).await.map_err(storage)?;
    row.map(|r| {
        let text: String = r.try_get(0).map_err(storage)?;
        super::decode(key, &text)
    })
    .transpose()
}

async fn put(pool: &PgPool, key: &str, value: &Value, mode: WriteMode) -> Result<bool, StoreError> {
    if !storable(key) {
        return Err(StoreError::Storage(
            "PostgreSQL text cannot hold a key with a NUL character".into(),
        ));
    }
    let text = super::encode(value)?;
    let sql = match mode {
        WriteMode::Upsert => {
            "INSERT INTO hub_values (key, value, updated_at) VALUES ($1, $2, now())
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at"
        }
        WriteMode::ReplaceOnly => {
            "UPDATE hub_values SET value = $2, updated_at = now() WHERE key = $1"
        }
    };
    let conn = connection(pool).await?;
    let stmt = conn.prepare_cached(sql).await.map_err(storage)?;
    let changed = conn.execute(&stmt, &[&key, &text]).await.map_err(storage)?;
    Ok(changed > 0)
}
