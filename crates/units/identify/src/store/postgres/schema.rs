//! The PostgreSQL schema of the identify unit (in its own schema, `modt_identify` by default),
//! as versioned migrations with the same versions as the SQLite ones: 1 accounts and
//! sessions, 2 the login throttle's counters and the login handshakes.

use modt_store::Migration;

/// Accounts and sessions. User names are unique regardless of case (an index on their lower
/// case, which queries use); times are Unix seconds.
const V1_ACCOUNTS: &str = "
CREATE TABLE users (
    user_id       TEXT PRIMARY KEY,
    username      TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('user', 'admin')),
    created_at    BIGINT NOT NULL
);
CREATE UNIQUE INDEX users_by_name ON users (lower(username));
CREATE TABLE sessions (
    key          TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    revoked_at   BIGINT
);
CREATE INDEX sessions_by_expiry ON sessions(expires_at);
CREATE INDEX sessions_by_user ON sessions(user_id);
";

/// Throttle counters (event times in Unix ms, oldest first) and login handshakes.
const V2_LOGIN_RECORDS: &str = "
CREATE TABLE throttle (
    key     TEXT PRIMARY KEY,
    times   BIGINT[] NOT NULL,
    last_ms BIGINT NOT NULL
);
CREATE INDEX throttle_by_last ON throttle(last_ms);
CREATE TABLE handshakes (
    session_key  TEXT PRIMARY KEY,
    handshake_id TEXT NOT NULL UNIQUE,
    deadline_ms  BIGINT NOT NULL,
    app_name     TEXT,
    redirect_url TEXT
);
CREATE INDEX handshakes_by_deadline ON handshakes(deadline_ms);
";

/// Every migration, in order.
pub(crate) const MIGRATIONS: &[Migration] = &[
    Migration::new(1, "accounts", V1_ACCOUNTS),
    Migration::new(2, "login_records", V2_LOGIN_RECORDS),
];

/// The unique index behind "the user name is taken".
pub(crate) const USERNAME_INDEX: &str = "users_by_name";
