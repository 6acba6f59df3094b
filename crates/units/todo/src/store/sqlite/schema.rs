//! The todo unit's SQLite schema, applied by modt-store's migrations. Never edit an applied
//! migration: add the next.

use modt_store::Migration;

/// The SQLite migrations, in order.
pub const MIGRATIONS: &[Migration] = &[Migration::new(
    1,
    "todos_and_requests",
    "CREATE TABLE todos (
        id TEXT PRIMARY KEY NOT NULL,
        owner TEXT NOT NULL,
        title TEXT NOT NULL,
        notes TEXT NOT NULL DEFAULT '',
        done INTEGER NOT NULL DEFAULT 0,
        version INTEGER NOT NULL,
        created_ms INTEGER NOT NULL,
        updated_ms INTEGER NOT NULL
    );
    CREATE INDEX todos_by_created ON todos (owner, created_ms, id);
    CREATE INDEX todos_by_updated ON todos (owner, updated_ms, id);
    CREATE INDEX todos_by_title ON todos (owner, title, id);
    CREATE TABLE requests (
        id BLOB PRIMARY KEY NOT NULL,
        fingerprint BLOB NOT NULL,
        answer TEXT NOT NULL,
        expires_ms INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX requests_by_expiry ON requests (expires_ms);",
)];
