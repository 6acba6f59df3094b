//! Where accounts and sessions live: the [`IdentityStore`] trait, and its SQLite
//! implementation ([`SqliteIdentityStore`]). A PostgreSQL store implements the same trait.
//!
//! Times are Unix seconds. Sessions are stored under their [`SessionKey`] (a hash), never
//! under the id the browser holds.

mod sqlite;

use std::time::Duration;

use async_trait::async_trait;
use serde::Serialize;

use crate::accounts::Role;
use crate::sessions::SessionKey;

pub use sqlite::SqliteIdentityStore;

/// An account, without its password hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    /// Stable id (a UUID), the `user_id` other units see.
    pub user_id: String,
    /// Login name, unique regardless of case.
    pub username: String,
    /// What the user may do.
    pub role: Role,
    /// When the account was created (Unix seconds).
    pub created_at: i64,
}

/// An account with its password hash, for checking a login.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The account.
    pub user: User,
    /// Its argon2id hash (PHC string).
    pub password_hash: String,
}

/// A new session to store.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// Where it is stored.
    pub key: SessionKey,
    /// Whose it is.
    pub user_id: String,
    /// Login time (Unix seconds).
    pub now: i64,
    /// Absolute expiry (Unix seconds).
    pub expires_at: i64,
}

/// A change to an existing account ([`IdentityStore::change_user`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum UserChange {
    /// Delete the account and its sessions.
    Delete,
    /// Set a new password hash; the account's sessions end (log in again).
    Password(String),
    /// Grant or revoke administrator rights; live sessions see the new role at once.
    Role(Role),
}

/// Storage failures.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The user name is taken (regardless of case).
    #[error("the user name {0:?} is taken")]
    UsernameTaken(String),
    /// The database failed.
    #[error("identity database error while {context}: {source}")]
    Database {
        /// What was being done.
        context: &'static str,
        /// The database's error.
        source: rusqlite::Error,
    },
    /// The database could not be opened.
    #[error("cannot open the identity database {path}: {source}")]
    Open {
        /// The file.
        path: String,
        /// Why.
        source: rusqlite::Error,
    },
    /// The database file could not be created or made owner-only.
    #[error("cannot create the identity database {path}: {source}")]
    Create {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The blocking task running a query failed.
    #[error("identity database task failed: {0}")]
    Task(String),
}

/// Accounts and sessions.
#[async_trait]
pub trait IdentityStore: Send + Sync + std::fmt::Debug + 'static {
    /// Creates an account; [`StoreError::UsernameTaken`] if the name exists in any case.
    async fn create_user(
        &self,
        username: &str,
        password_hash: &str,
        role: Role,
    ) -> Result<User, StoreError>;

    /// The account named `username` (any case) with its hash.
    async fn credentials(&self, username: &str) -> Result<Option<Credentials>, StoreError>;

    /// Every account, by name.
    async fn users(&self) -> Result<Vec<User>, StoreError>;

    /// Changes the account named `username` (any case); `None` if there is none. Returns the
    /// account as it was before the change.
    async fn change_user(
        &self,
        username: &str,
        change: UserChange,
    ) -> Result<Option<User>, StoreError>;

    /// Stores a new session.
    async fn create_session(&self, session: NewSession) -> Result<(), StoreError>;

    /// The user of a live session at `now`: not revoked, not past its absolute expiry, used
    /// within `idle`. A live session's last use is moved to `now`.
    async fn session_user(
        &self,
        key: &SessionKey,
        now: i64,
        idle: Duration,
    ) -> Result<Option<User>, StoreError>;

    /// Revokes a session; returns whether it was live.
    async fn revoke_session(&self, key: &SessionKey, now: i64) -> Result<bool, StoreError>;

    /// Deletes sessions that can no longer be used; returns how many.
    async fn sweep(&self, now: i64, idle: Duration) -> Result<usize, StoreError>;
}

/// Now, in Unix seconds.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
