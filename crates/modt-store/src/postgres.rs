//! The PostgreSQL side: [`PgPool`], a deadpool of tokio-postgres connections confined to one
//! unit's schema. Opening it creates the schema if missing and applies the unit's migrations;
//! every connection it makes starts with `search_path` set to that schema, so a unit's SQL
//! names its tables unqualified on either backend.
//!
//! Connections are plain TCP or Unix sockets (no TLS in this build: `sslmode=prefer`, the
//! default, falls back to plain; `sslmode=require` is refused when connecting).

use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime};
use tokio_postgres::NoTls;

use crate::migrate::{migrate_postgres, Migration};
use crate::url::PostgresUrl;
use crate::{location, Error};

/// Connections a pool keeps at most, unless the unit asks for another number.
pub const DEFAULT_MAX_CONNECTIONS: usize = 8;

/// How long establishing one connection may take (unless the URL sets `connect_timeout`).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a caller waits for a free connection when all are busy, before `unavailable`.
pub const WAIT_TIMEOUT: Duration = Duration::from_secs(10);

/// A pool of connections to one PostgreSQL database, each confined to one schema. Cheap to
/// clone (one pool shared).
#[derive(Clone)]
pub struct PgPool {
    pool: Pool,
    schema: String,
    url: PostgresUrl,
}

impl std::fmt::Debug for PgPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgPool")
            .field("url", &self.url)
            .field("schema", &self.schema)
            .field("status", &self.pool.status())
            .finish()
    }
}

/// A connection checked out of a [`PgPool`]; back to the pool when dropped. Derefs to
/// `tokio_postgres::Client` (with `prepare_cached`).
pub type PgConnection = Object;

impl PgPool {
    /// Connects to `url`, creates `schema` if missing, applies `migrations` in it, and returns
    /// a pool of at most `max_connections` (at least 1) connections whose `search_path` is
    /// `schema`. Fails with the reason (the URL's password masked) when the server cannot be
    /// reached, the schema name is not [`valid_schema`](crate::valid_schema), or a migration fails.
    pub async fn open(
        url: &PostgresUrl,
        schema: &str,
        max_connections: usize,
        migrations: &[Migration],
    ) -> Result<PgPool, Error> {
        if !location::valid_schema(schema) {
            return Err(Error::Schema(schema.to_owned()));
        }
        let config = schema_config(url, schema);
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(max_connections.max(1))
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(WAIT_TIMEOUT))
            .create_timeout(Some(CONNECT_TIMEOUT))
            .build()
            .map_err(|e| Error::Pool(format!("cannot build the pool for {url}: {e}")))?;
        let pool = PgPool {
            pool,
            schema: schema.to_owned(),
            url: url.clone(),
        };
        let mut conn = pool.get().await?;
        conn.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))
            .await
            .map_err(|e| error("creating the schema", e))?;
        let applied = migrate_postgres(&mut conn, schema, migrations).await?;
        if !applied.is_empty() {
            tracing::info!(database = %url, schema, ?applied, "migrations applied");
        }
        Ok(pool)
    }

    /// A connection (waits up to [`WAIT_TIMEOUT`] when all are busy).
    pub async fn get(&self) -> Result<PgConnection, Error> {
        self.pool
            .get()
            .await
            .map_err(|e| Error::Pool(format!("no connection to {}: {e}", self.url)))
    }

    /// The schema every connection uses.
    pub fn schema(&self) -> &str {
        &self.schema
    }

    /// The database (password masked when shown).
    pub fn url(&self) -> &PostgresUrl {
        &self.url
    }

    /// Closes the pool: idle connections are closed now, busy ones when returned.
    pub fn close(&self) {
        self.pool.close();
    }
}

/// The URL's settings plus `search_path` = `schema` (kept beside any `options` it had) and a
/// connect timeout.
fn schema_config(url: &PostgresUrl, schema: &str) -> tokio_postgres::Config {
    let mut config = url.config().clone();
    let options = match config.get_options() {
        Some(given) if !given.trim().is_empty() => format!("{given} -c search_path={schema}"),
        _ => format!("-c search_path={schema}"),
    };
    config.options(&options);
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(CONNECT_TIMEOUT);
    }
    if config.get_application_name().is_none() {
        config.application_name(format!("modt ({schema})"));
    }
    config
}

/// A tokio-postgres error with what was being done and the server's message when it sent one
/// (tokio-postgres alone shows only "db error").
pub fn error(doing: &'static str, e: tokio_postgres::Error) -> Error {
    let message = match e.as_db_error() {
        Some(db) => format!("{}: {}", db.code().code(), db.message()),
        None => e.to_string(),
    };
    Error::Postgres { doing, message }
}
