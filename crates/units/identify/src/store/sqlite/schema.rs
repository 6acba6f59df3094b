//! The SQLite schema of the identify unit, as versioned migrations (applied by
//! `modt_store::migrate`).
//!
//! Version 1 is the schema files had before migrations existed, written with `IF NOT EXISTS`,
//! so such a file opens with its accounts and sessions and is recorded at version 1. Version 2
//! adds the login throttle's counters and the login handshakes, which were kept in memory.
//! Version 3 adds the token API's signing keys and refresh tokens.

use modt_store::Migration;

/// Accounts and sessions (the schema before migrations existed).
const V1_ACCOUNTS: &str = "
CREATE TABLE IF NOT EXISTS users (
    user_id       TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE COLLATE NOCASE,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('user', 'admin')),
    created_at    INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    key          TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    revoked_at   INTEGER
);
CREATE INDEX IF NOT EXISTS sessions_by_expiry ON sessions(expires_at);
";

/// Throttle counters (event times in Unix ms, comma-separated, oldest first) and handshakes.
const V2_LOGIN_RECORDS: &str = "
CREATE TABLE throttle (
    key     TEXT PRIMARY KEY,
    times   TEXT NOT NULL,
    last_ms INTEGER NOT NULL
);
CREATE INDEX throttle_by_last ON throttle(last_ms);
CREATE TABLE handshakes (
    session_key  TEXT PRIMARY KEY,
    handshake_id TEXT NOT NULL UNIQUE,
    deadline_ms  INTEGER NOT NULL,
    app_name     TEXT,
    redirect_url TEXT
);
CREATE INDEX handshakes_by_deadline ON handshakes(deadline_ms);
";

/// Signing keys (at most one active: the unique index over the rows not yet replaced) and
/// refresh tokens (their SHA-256 only), which end with their account.
const V3_TOKENS: &str = "
CREATE TABLE signing_keys (
    kid           TEXT PRIMARY KEY,
    private_pkcs8 BLOB NOT NULL,
    public_key    BLOB NOT NULL,
    created_at    INTEGER NOT NULL,
    rotated_at    INTEGER
);
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys((rotated_at IS NULL))
    WHERE rotated_at IS NULL;
CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    family_id  TEXT NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER,
    revoked_at INTEGER
);
CREATE INDEX refresh_tokens_by_family ON refresh_tokens(family_id);
CREATE INDEX refresh_tokens_by_user ON refresh_tokens(user_id);
CREATE INDEX refresh_tokens_by_expiry ON refresh_tokens(expires_at);
";

/// Every migration, in order.
pub(crate) const MIGRATIONS: &[Migration] = &[
    Migration::new(1, "accounts", V1_ACCOUNTS),
    Migration::new(2, "login_records", V2_LOGIN_RECORDS),
    Migration::new(3, "tokens", V3_TOKENS),
];
