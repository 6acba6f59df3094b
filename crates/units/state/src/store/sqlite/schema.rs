//! The state unit's SQLite schema: its migrations (applied by modt-store's tool), and the
//! adoption of files written before migrations existed.
//!
//! The original db-unit's table is `states(user_id, key, value, updated_at)` with
//! `PRIMARY KEY (user_id, key)`. MoDT-rs adds `version` and `expires_at` (Unix ms), stores
//! every value as JSON text, and keeps remembered requests in `requests`. The original can
//! still read and write the upgraded table. Files of the original, and of MoDT-rs before
//! migrations, have no migration history: [`adopt`] adds the columns the original lacks, and
//! migration 1 (all `IF NOT EXISTS`) then finds everything in place and records itself.

use std::path::Path;

use modt_store::Migration;
use rusqlite::Connection;

use crate::store::StoreError;

/// The state unit's SQLite migrations, in order. Never edit an applied one: add the next.
pub const MIGRATIONS: &[Migration] = &[Migration::new(
    1,
    "states_and_requests",
    "CREATE TABLE IF NOT EXISTS states (
        user_id TEXT,
        key TEXT,
        value TEXT,
        updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
        version INTEGER NOT NULL DEFAULT 1,
        expires_at INTEGER,
        PRIMARY KEY (user_id, key)
    );
    CREATE INDEX IF NOT EXISTS states_expires_at ON states(expires_at) WHERE expires_at IS NOT NULL;
    CREATE TABLE IF NOT EXISTS requests (
        id BLOB PRIMARY KEY,
        answer TEXT NOT NULL,
        at_ms INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS requests_at_ms ON requests(at_ms);",
)];

/// Columns MoDT-rs added to the original's table.
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

/// Brings an original db-unit's `states` table (if there is one) to migration 1's columns.
fn adopt(conn: &Connection) -> rusqlite::Result<()> {
    let existing: Vec<String> = {
        let mut stmt = conn.prepare("SELECT name FROM pragma_table_info('states')")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        rows.collect::<Result<_, _>>()?
    };
    if existing.is_empty() {
        return Ok(());
    }
    for (column, ddl) in ADDED_COLUMNS {
        if !existing.iter().any(|c| c == column) {
            conn.execute_batch(ddl)?;
        }
    }
    Ok(())
}

/// Opens the writer's connection, creating, adopting or migrating the schema. Blocking.
pub(crate) fn open_writer(path: &Path) -> Result<Connection, StoreError> {
    modt_store::sqlite::open_writer(path, MIGRATIONS, adopt)
        .map_err(|e| StoreError::Storage(e.to_string()))
}

/// Opens a read connection. Blocking.
pub(crate) fn open_reader(path: &Path) -> Result<Connection, StoreError> {
    modt_store::sqlite::open_reader(path).map_err(|e| StoreError::Storage(e.to_string()))
}
