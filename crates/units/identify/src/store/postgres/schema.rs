//! The PostgreSQL schema of the identify unit (in its own schema, `modt_identify` by default),
//! as versioned migrations with the same versions as the SQLite ones: 1 accounts and
//! sessions, 2 the login throttle's counters and the login handshakes, 3 the token API's
//! signing keys and refresh tokens.

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

/// Signing keys (at most one active: the unique index over the rows not yet replaced) and
/// refresh tokens (their SHA-256 only), which end with their account.
const V3_TOKENS: &str = "
CREATE TABLE signing_keys (
    kid           TEXT PRIMARY KEY,
    private_pkcs8 BYTEA NOT NULL,
    public_key    BYTEA NOT NULL,
    created_at    BIGINT NOT NULL,
    rotated_at    BIGINT
);
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys((rotated_at IS NULL))
    WHERE rotated_at IS NULL;
CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    family_id  TEXT NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT,
    revoked_at BIGINT
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

/// The unique index behind "the user name is taken".
pub(crate) const USERNAME_INDEX: &str = "users_by_name";
