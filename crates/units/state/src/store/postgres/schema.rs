//! The state unit's PostgreSQL schema (in its own schema, `modt_state` by default): the same
//! tables as on SQLite. Keys and user ids sort bytewise (`COLLATE "C"`) as SQLite sorts them,
//! whatever the database's locale; values are JSON text, so objects keep their key order.

use modt_store::Migration;

/// The state unit's PostgreSQL migrations, in order. Never edit an applied one: add the next.
pub const MIGRATIONS: &[Migration] = &[Migration::new(
    1,
    "states_and_requests",
    r#"CREATE TABLE states (
        user_id TEXT COLLATE "C" NOT NULL,
        key TEXT COLLATE "C" NOT NULL,
        value TEXT,
        updated_at TEXT NOT NULL,
        version BIGINT NOT NULL DEFAULT 1,
        expires_at BIGINT,
        PRIMARY KEY (user_id, key)
    );
    CREATE INDEX states_expires_at ON states (expires_at) WHERE expires_at IS NOT NULL;
    CREATE TABLE requests (
        id BYTEA PRIMARY KEY,
        answer TEXT NOT NULL,
        at_ms BIGINT NOT NULL
    );
    CREATE INDEX requests_at_ms ON requests (at_ms);"#,
)];

/// The schema the state unit uses when given a shared database.
pub const SCHEMA: &str = "modt_state";
