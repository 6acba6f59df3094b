//! Versioned migrations, one tool for both backends: refinery, over rusqlite and
//! tokio-postgres. A unit lists its [`Migration`]s per backend as SQL text in its own crate;
//! this module applies the ones a database has not seen, in version order, each in its own
//! transaction, and records them in [`HISTORY_TABLE`] (refinery's table, per SQLite file or per
//! PostgreSQL schema). An applied migration whose SQL changed since is refused (divergent),
//! as is one recorded by a newer build that this build does not know (missing).
//!
//! Databases written before migrations existed carry no history: a unit's first migration is
//! written to accept them (`CREATE … IF NOT EXISTS`, the columns added since, see each unit's
//! store), so they open with their data and get recorded at version 1.

use crate::Error;

/// The table in which applied migrations are recorded.
pub const HISTORY_TABLE: &str = "modt_schema_history";

/// One versioned migration of a unit's schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Migration {
    /// 1, 2, 3…: applied in this order, each once.
    pub version: u32,
    /// A name in `snake_case` (`[A-Za-z0-9_]`), recorded with the version.
    pub name: &'static str,
    /// The SQL, one or more statements.
    pub sql: &'static str,
}

impl Migration {
    /// A migration (for `const` lists).
    pub const fn new(version: u32, name: &'static str, sql: &'static str) -> Migration {
        Migration { version, name, sql }
    }
}

/// Refuses names outside `[A-Za-z0-9_]+`, version 0, and versions out of order.
fn validate(migrations: &[Migration]) -> Result<(), Error> {
    let mut last = 0;
    for m in migrations {
        let name_ok = !m.name.is_empty()
            && m.name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !name_ok || m.version <= last {
            return Err(Error::Migration {
                backend: "any",
                reason: format!(
                    "migration {} {:?}: versions must rise from 1 and names be [A-Za-z0-9_]+",
                    m.version, m.name
                ),
            });
        }
        last = m.version;
    }
    Ok(())
}

fn runner(migrations: &[Migration]) -> Result<refinery::Runner, Error> {
    validate(migrations)?;
    let list = migrations
        .iter()
        .map(|m| {
            refinery::Migration::unapplied(&format!("V{}__{}", m.version, m.name), m.sql).map_err(
                |e| Error::Migration {
                    backend: "any",
                    reason: format!("migration {} {}: {e}", m.version, m.name),
                },
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut runner = refinery::Runner::new(&list)
        .set_abort_divergent(true)
        .set_abort_missing(true);
    runner.set_migration_table_name(HISTORY_TABLE);
    Ok(runner)
}

fn applied(report: &refinery::Report) -> Vec<u32> {
    report
        .applied_migrations()
        .iter()
        .map(|m| u32::try_from(m.version()).unwrap_or(0))
        .collect()
}

/// Applies to a SQLite connection the migrations it has not seen; returns their versions.
/// Blocking (call it where SQLite is driven: a writer thread or `spawn_blocking`).
pub fn migrate_sqlite(
    conn: &mut rusqlite::Connection,
    migrations: &[Migration],
) -> Result<Vec<u32>, Error> {
    let report = runner(migrations)?
        .run(conn)
        .map_err(|e| Error::Migration {
            backend: "SQLite",
            reason: e.to_string(),
        })?;
    Ok(applied(&report))
}

/// The migration versions recorded in a SQLite database's history, in order (what a unit's
/// file has been brought up to). Blocking.
pub fn sqlite_history(conn: &rusqlite::Connection) -> Result<Vec<u32>, rusqlite::Error> {
    conn.prepare(&format!(
        "SELECT version FROM {HISTORY_TABLE} ORDER BY version"
    ))?
    .query_map([], |r| r.get(0))?
    .collect()
}

/// Applies to a PostgreSQL connection the migrations it has not seen; returns their versions.
/// The connection's `search_path` must name the unit's schema (connections of
/// [`PgPool`](crate::PgPool) do). Concurrent callers on one schema (replicas starting together)
/// take turns: a session advisory lock keyed on the schema is held while migrating.
pub async fn migrate_postgres(
    client: &mut tokio_postgres::Client,
    schema: &str,
    migrations: &[Migration],
) -> Result<Vec<u32>, Error> {
    let lock = "SELECT pg_advisory_lock(hashtext($1))";
    client
        .execute(lock, &[&schema])
        .await
        .map_err(|e| crate::postgres::error("taking the migration lock", e))?;
    let result = match runner(migrations) {
        Ok(runner) => runner
            .run_async(client)
            .await
            .map(|r| applied(&r))
            .map_err(|e| Error::Migration {
                backend: "PostgreSQL",
                reason: e.to_string(),
            }),
        Err(e) => Err(e),
    };
    let unlock = "SELECT pg_advisory_unlock(hashtext($1))";
    if let Err(e) = client.execute(unlock, &[&schema]).await {
        tracing::warn!(error = %e, schema, "releasing the migration lock failed");
    }
    result
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const V1: Migration = Migration::new(1, "start", "CREATE TABLE IF NOT EXISTS t (a TEXT)");
    const V2: Migration = Migration::new(2, "more", "ALTER TABLE t ADD COLUMN b INTEGER");

    #[test]
    fn sqlite_migrations_apply_once_in_order() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        assert_eq!(migrate_sqlite(&mut conn, &[V1]).unwrap(), vec![1]);
        assert_eq!(migrate_sqlite(&mut conn, &[V1, V2]).unwrap(), vec![2]);
        assert_eq!(
            migrate_sqlite(&mut conn, &[V1, V2]).unwrap(),
            Vec::<u32>::new()
        );
        conn.execute("INSERT INTO t (a, b) VALUES ('x', 1)", [])
            .unwrap();
    }

    #[test]
    fn a_changed_or_unknown_migration_is_refused() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        migrate_sqlite(&mut conn, &[V1, V2]).unwrap();
        let changed = Migration::new(2, "more", "ALTER TABLE t ADD COLUMN c INTEGER");
        assert!(matches!(
            migrate_sqlite(&mut conn, &[V1, changed]),
            Err(Error::Migration { .. })
        ));
        // A database migrated by a newer build (V2) opened by an older one (V1 only).
        assert!(migrate_sqlite(&mut conn, &[V1]).is_err());
    }

    #[test]
    fn a_bad_migration_name_is_an_error() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        let bad = Migration::new(1, "no spaces", "SELECT 1");
        assert!(migrate_sqlite(&mut conn, &[bad]).is_err());
    }
}
