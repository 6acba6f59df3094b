//! The todo unit's PostgreSQL schema (`modt_todo` by default): the same tables as on SQLite.
//! Titles and ids sort bytewise (`COLLATE "C"`), as SQLite sorts them, whatever the
//! database's locale. Never edit an applied migration: add the next.

use modt_store::Migration;

/// The PostgreSQL migrations, in order.
pub const MIGRATIONS: &[Migration] = &[Migration::new(
    1,
    "todos_and_requests",
    r#"CREATE TABLE todos (
        id TEXT COLLATE "C" PRIMARY KEY,
        owner TEXT COLLATE "C" NOT NULL,
        title TEXT COLLATE "C" NOT NULL,
        notes TEXT NOT NULL DEFAULT '',
        done BOOLEAN NOT NULL DEFAULT false,
        version BIGINT NOT NULL,
        created_ms BIGINT NOT NULL,
        updated_ms BIGINT NOT NULL
    );
    CREATE INDEX todos_by_created ON todos (owner, created_ms, id);
    CREATE INDEX todos_by_updated ON todos (owner, updated_ms, id);
    CREATE INDEX todos_by_title ON todos (owner, title, id);
    CREATE TABLE requests (
        id BYTEA PRIMARY KEY,
        fingerprint BYTEA NOT NULL,
        answer TEXT NOT NULL,
        expires_ms BIGINT NOT NULL
    );
    CREATE INDEX requests_by_expiry ON requests (expires_ms);"#,
)];
