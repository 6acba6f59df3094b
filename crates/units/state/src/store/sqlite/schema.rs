//! Opening the database: pragmas, the original's table, and MoDT-rs's added columns.
//!
//! The original db-unit's table is `states(user_id, key, value, updated_at)` with
//! `PRIMARY KEY (user_id, key)`. MoDT-rs adds `version` and `expires_at` (Unix ms), and stores
//! every value as JSON text. The original can still read and write the upgraded table.

use std::path::Path;

use rusqlite::Connection;

use super::storage;
use crate::store::StoreError;

const CREATE: &str = "CREATE TABLE IF NOT EXISTS states (
    user_id TEXT,
    key TEXT,
    value TEXT,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (user_id, key)
)";

const ADDED_COLUMNS: &[(&str, &str)] = &[
    (
        "version",
        "ALTER TABLE states ADD COLUMN version INTEGER NOT NULL DEFAULT 1",
    ),
    (
        "expires_at",
        "ALTER TABLE states ADD COLUMN expires_at INTEGER",
    ),
];

fn pragmas(conn: &Connection) -> Result<(), StoreError> {
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(storage)?;
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(storage)?;
    // FULL: a commit is on disk (WAL fsynced) before its acks go out.
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(storage)?;
    Ok(())
}

/// Opens the writer's connection, creating or upgrading the schema.
pub(crate) fn open_writer(path: &Path) -> Result<Connection, StoreError> {
    // Owner-only before SQLite opens it: its -wal and -shm files take the same mode.
    modt::files::private_file(path)
        .map_err(|e| StoreError::Storage(format!("cannot create {}: {e}", path.display())))?;
    let conn = Connection::open(path)
        .map_err(|e| StoreError::Storage(format!("cannot open {}: {e}", path.display())))?;
    pragmas(&conn)?;
    conn.execute_batch(CREATE).map_err(storage)?;
    let existing: Vec<String> = {
        let mut stmt = conn
            .prepare("SELECT name FROM pragma_table_info('states')")
            .map_err(storage)?;
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(storage)?;
        rows.collect::<Result<_, _>>().map_err(storage)?
    };
    for (column, ddl) in ADDED_COLUMNS {
        if !existing.iter().any(|c| c == column) {
            conn.execute_batch(ddl).map_err(storage)?;
        }
    }
    conn.execute_batch(
        "CREATE INDEX IF NOT EXISTS states_expires_at ON states(expires_at) WHERE expires_at IS NOT NULL",
    )
    .map_err(storage)?;
    conn.execute_batch(super::requests::CREATE)
        .map_err(storage)?;
    Ok(conn)
}

/// Opens a read connection.
pub(crate) fn open_reader(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| StoreError::Storage(format!("cannot open {} for reading: {e}", path.display())))?;
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(storage)?;
    Ok(conn)
}
