//! Where accounts, sessions, login throttle counters and pending login handshakes live: the
//! backend-neutral [`IdentityStore`] trait, its SQLite implementation
//! ([`SqliteIdentityStore`]) and its PostgreSQL one, and [`open`], which picks one from a
//! `modt_store::Location`.
//!
//! Times of accounts and sessions are Unix seconds; throttle and handshake times are Unix
//! milliseconds. Sessions are stored under their [`SessionKey`] (a hash), never under the id
//! the browser holds. No backend type (rusqlite, tokio-postgres) appears in this API.
//!
//! - [`records`]: the throttle and handshake records, and the rules both backends apply to them.
//! - [`tokens`]: the signing keys and refresh tokens of the token API.
//! - `sqlite`: the SQLite store (one connection, queries on blocking threads).
//! - `postgres`: the PostgreSQL store (the unit's schema, a small pool).

mod postgres;
pub mod records;
mod sqlite;
pub mod tokens;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde::Serialize;

use crate::accounts::Role;
use crate::sessions::SessionKey;

pub use postgres::PostgresIdentityStore;
pub use records::{HandshakeRecord, NewHandshake, ThrottleTake};
pub use sqlite::SqliteIdentityStore;
pub use tokens::{NewRefreshToken, RefreshRotation, RefreshUse, SigningKeyRecord};

/// A session's last use is written at most this often (reads stay reads).
pub const TOUCH_EVERY_SECS: i64 = 60;

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

impl User {
    /// A new account named `username`: a fresh id, created now. Every backend's
    /// `create_user` makes its account here.
    pub fn new(username: &str, role: Role) -> User {
        User {
            user_id: uuid::Uuid::new_v4().to_string(),
            username: username.to_string(),
            role,
            created_at: unix_now(),
        }
    }
}

/// An account with its password hash, for checking a login.
#[derive(Clone)]
pub struct Credentials {
    /// The account.
    pub user: User,
    /// Its argon2id hash (PHC string).
    pub password_hash: String,
}

/// The hash is a secret: never printed.
impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
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
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum UserChange {
    /// Delete the account and its sessions.
    Delete,
    /// Set a new password hash; the account's sessions and refresh tokens end (log in again).
    Password(String),
    /// Grant or revoke administrator rights; live sessions see the new role at once.
    Role(Role),
}

/// A new password hash is a secret: never printed.
impl std::fmt::Debug for UserChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UserChange::Delete => f.write_str("Delete"),
            UserChange::Password(_) => f.write_str("Password(…)"),
            UserChange::Role(r) => write!(f, "Role({r:?})"),
        }
    }
}

/// A backend's own error, kept as the source of a [`StoreError`].
pub type BackendError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Storage failures, the same for every backend.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The user name is taken (regardless of case).
    #[error("the user name {0:?} is taken")]
    UsernameTaken(String),
    /// A query failed.
    #[error("identity database error while {context}: {source}")]
    Database {
        /// What was being done.
        context: &'static str,
        /// The backend's error.
        source: BackendError,
    },
    /// The database could not be opened, created or migrated.
    #[error("cannot open the identity database {location}: {source}")]
    Open {
        /// The file or database (never with a password).
        location: String,
        /// Why.
        source: BackendError,
    },
    /// The store cannot run queries now (its worker is gone).
    #[error("the identity database is unavailable: {0}")]
    Unavailable(String),
}

impl StoreError {
    /// A failed query while doing `context`.
    pub fn database(context: &'static str, source: impl Into<BackendError>) -> StoreError {
        StoreError::Database {
            context,
            source: source.into(),
        }
    }
}

/// Accounts, sessions, login throttle counters and pending login handshakes.
///
/// Every method is one atomic step: of concurrent callers (tasks, or replicas of the unit
/// sharing a database) each sees the other's step whole.
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
    /// within `idle`. A live session's last use is moved to `now` (written at most once a
    /// minute).
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

    /// Counts one event at `take.now_ms` under every key of `take.limits`, unless one of them
    /// already holds its limit within the window: then nothing is counted and the answer is
    /// how long until the oldest such event leaves the window (`Err`, at least a second).
    /// Checked and counted in one step (see [`records::ThrottleTake`]).
    async fn throttle_take(&self, take: ThrottleTake) -> Result<Result<(), Duration>, StoreError>;

    /// Takes one event counted at `at_ms` off each of `keys` (the attempt did not count).
    async fn throttle_uncount(&self, keys: Vec<String>, at_ms: i64) -> Result<(), StoreError>;

    /// Forgets every event of `keys`.
    async fn throttle_forget(&self, keys: Vec<String>) -> Result<(), StoreError>;

    /// How many throttle keys are tracked.
    async fn throttle_tracked(&self) -> Result<usize, StoreError>;

    /// Records a login's handshake, replacing the session's previous one (its id stops
    /// counting); first drops entries past their keeping time and, at `handshake.max`
    /// entries, the one with the earliest deadline.
    async fn begin_handshake(&self, handshake: NewHandshake) -> Result<(), StoreError>;

    /// Fills the handshake `handshake_id` with the app that accepted it, if none did before;
    /// returns the session it belongs to when this was the first answer.
    async fn handshake_ready(
        &self,
        handshake_id: &str,
        app_name: &str,
        redirect_url: &str,
    ) -> Result<Option<SessionKey>, StoreError>;

    /// The handshake of session `key`, if one is kept.
    async fn handshake(&self, key: &SessionKey) -> Result<Option<HandshakeRecord>, StoreError>;

    /// Forgets session `key`'s handshake (at logout).
    async fn forget_handshake(&self, key: &SessionKey) -> Result<(), StoreError>;

    /// How many handshakes are kept.
    async fn handshakes_kept(&self) -> Result<usize, StoreError>;

    /// Every signing key: those replaced, oldest first, then the active one (last, even when
    /// made in the same second as the one it replaced).
    async fn signing_keys(&self) -> Result<Vec<SigningKeyRecord>, StoreError>;

    /// Stores `key` as the active signing key if there is none (a new store); returns whether
    /// it was stored. Of replicas starting together, one key wins.
    async fn add_first_signing_key(&self, key: SigningKeyRecord) -> Result<bool, StoreError>;

    /// Makes `key` the active signing key: the active one is marked replaced at
    /// `key.created_at`, in the same step.
    async fn rotate_signing_key(&self, key: SigningKeyRecord) -> Result<(), StoreError>;

    /// Deletes the keys replaced before `rotated_before` (Unix seconds); returns how many.
    async fn drop_signing_keys(&self, rotated_before: i64) -> Result<usize, StoreError>;

    /// Stores the first refresh token of a new family.
    async fn create_refresh_token(&self, token: NewRefreshToken) -> Result<(), StoreError>;

    /// Uses a refresh token (see [`RefreshUse`]): a live one is marked used and replaced by
    /// `rotation.next` in its family; one used within `rotation.reuse_grace` gets that
    /// replacement too; one used before revokes its whole family (reuse detection).
    async fn use_refresh_token(&self, rotation: RefreshRotation) -> Result<RefreshUse, StoreError>;

    /// Revokes the family of the refresh token whose hash is `hash` (logout); returns its
    /// user's id, or `None` for an unknown token.
    async fn revoke_refresh_family(
        &self,
        hash: &str,
        now: i64,
    ) -> Result<Option<String>, StoreError>;

    /// Revokes every refresh token of `user_id` (logout everywhere); returns how many it
    /// revoked.
    async fn revoke_user_refresh_tokens(
        &self,
        user_id: &str,
        now: i64,
    ) -> Result<usize, StoreError>;

    /// Deletes refresh tokens expired at `now`; returns how many.
    async fn sweep_refresh_tokens(&self, now: i64) -> Result<usize, StoreError>;

    /// Lets go of the database (a pool's idle connections close now). Queries afterwards may
    /// fail with [`StoreError::Unavailable`]. Never blocks; the default does nothing.
    fn close(&self) {}
}

/// The unit's PostgreSQL schema.
pub const SCHEMA: &str = "modt_identify";

/// Opens the identify unit's store where `location` says (a SQLite file, or a PostgreSQL
/// database in the location's schema), creating it if needed and bringing its schema up to
/// date. A SQLite file from before migrations opens with its accounts and sessions.
///
/// The store's [`close`](IdentityStore::close) is the close hook: call it once the unit
/// stopped (`Unit::on_stop`).
///
/// ```no_run
/// # async fn f() -> Result<(), modt_identify::StoreError> {
/// let at = modt_store::Location::sqlite("modt-data/modt_identify.db");
/// let store = modt_identify::store::open(&at).await?;
/// let users = store.users().await?;
/// store.close();
/// # Ok(()) }
/// ```
pub async fn open(location: &modt_store::Location) -> Result<Arc<dyn IdentityStore>, StoreError> {
    match location {
        modt_store::Location::Sqlite { path } => {
            let path = path.clone();
            let store = tokio::task::spawn_blocking(move || SqliteIdentityStore::open(&path))
                .await
                .map_err(|e| StoreError::Unavailable(format!("the opening task failed: {e}")))??;
            Ok(Arc::new(store))
        }
        modt_store::Location::Postgres { url, schema } => {
            Ok(Arc::new(PostgresIdentityStore::open(url, schema).await?))
        }
        other => Err(StoreError::Open {
            location: other.to_string(),
            source: "this build does not know that kind of database".into(),
        }),
    }
}

/// Now, in Unix seconds, from the system clock. The unit itself reads its
/// [`Clock`](crate::core::Clock), which tests can pause.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Whole seconds of `d`, as stored.
pub(crate) fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}
