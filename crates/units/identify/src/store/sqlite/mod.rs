//! The SQLite identity store: one file (`modt_identify.db`), WAL, `synchronous=FULL`, one
//! connection used from blocking threads. Logins are rare next to state traffic, so one
//! connection suffices; no query ever runs on an async runtime thread, and the connection's
//! lock makes each trait method one atomic step.
//!
//! - `schema`: the versioned migrations (files from before migrations open as version 1).
//! - `accounts`: users and sessions.
//! - `records`: throttle counters and login handshakes.
//! - `tokens`: the token API's signing keys and refresh tokens.

mod accounts;
mod records;
mod schema;
mod tokens;

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use rusqlite::Connection;

use super::{
    Credentials, HandshakeRecord, IdentityStore, NewHandshake, NewRefreshToken, NewSession,
    RefreshRotation, RefreshUse, SigningKeyRecord, StoreError, ThrottleTake, User, UserChange,
};
use crate::accounts::Role;
use crate::sessions::SessionKey;

/// The SQLite [`IdentityStore`]. Cheap to clone.
#[derive(Debug, Clone)]
pub struct SqliteIdentityStore {
    conn: Arc<Mutex<Connection>>,
}

impl SqliteIdentityStore {
    /// Opens (creating if needed, owner-only: it holds password hashes) the database at
    /// `path` and brings its schema up to date. Blocking: call it at start or from
    /// `spawn_blocking`.
    pub fn open(path: &Path) -> Result<SqliteIdentityStore, StoreError> {
        let open_err = |source: super::BackendError| StoreError::Open {
            location: path.display().to_string(),
            source,
        };
        let conn = modt_store::sqlite::open_writer(path, schema::MIGRATIONS, |_| Ok(()))
            .map_err(|e| open_err(e.into()))?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(|e| open_err(e.into()))?;
        Ok(SqliteIdentityStore {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// Runs `f` with the connection on a blocking thread.
    async fn call<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = conn
                .lock()
                .map_err(|_| StoreError::Unavailable("the connection lock is poisoned".into()))?;
            f(&mut guard)
        })
        .await
        .map_err(|e| StoreError::Unavailable(format!("the query task failed: {e}")))?
    }
}

/// Maps a rusqlite error to a [`StoreError::Database`] for `context`.
fn db(context: &'static str) -> impl FnOnce(rusqlite::Error) -> StoreError {
    move |source| StoreError::database(context, source)
}

#[async_trait]
impl IdentityStore for SqliteIdentityStore {
    async fn create_user(
        &self,
        username: &str,
        password_hash: &str,
        role: Role,
    ) -> Result<User, StoreError> {
        let user = User::new(username, role);
        let hash = password_hash.to_string();
        self.call(move |c| accounts::create_user(c, user, &hash))
            .await
    }

    async fn credentials(&self, username: &str) -> Result<Option<Credentials>, StoreError> {
        let name = username.to_string();
        self.call(move |c| accounts::credentials(c, &name)).await
    }

    async fn users(&self) -> Result<Vec<User>, StoreError> {
        self.call(|c| accounts::users(c)).await
    }

    async fn change_user(
        &self,
        username: &str,
        change: UserChange,
    ) -> Result<Option<User>, StoreError> {
        let name = username.to_string();
        self.call(move |c| accounts::change_user(c, &name, &change))
            .await
    }

    async fn create_session(&self, s: NewSession) -> Result<(), StoreError> {
        self.call(move |c| accounts::create_session(c, &s)).await
    }

    async fn session_user(
        &self,
        key: &SessionKey,
        now: i64,
        idle: Duration,
    ) -> Result<Option<User>, StoreError> {
        let key = key.clone();
        let idle = super::secs(idle);
        self.call(move |c| accounts::session_user(c, &key, now, idle))
            .await
    }

    async fn revoke_session(&self, key: &SessionKey, now: i64) -> Result<bool, StoreError> {
        let key = key.clone();
        self.call(move |c| accounts::revoke_session(c, &key, now))
            .await
    }

    async fn sweep(&self, now: i64, idle: Duration) -> Result<usize, StoreError> {
        let idle = super::secs(idle);
        self.call(move |c| accounts::sweep(c, now, idle)).await
    }

    async fn throttle_take(&self, take: ThrottleTake) -> Result<Result<(), Duration>, StoreError> {
        self.call(move |c| records::throttle_take(c, &take)).await
    }

    async fn throttle_uncount(&self, keys: Vec<String>, at_ms: i64) -> Result<(), StoreError> {
        self.call(move |c| records::throttle_uncount(c, &keys, at_ms))
            .await
    }

    async fn throttle_forget(&self, keys: Vec<String>) -> Result<(), StoreError> {
        self.call(move |c| records::throttle_forget(c, &keys)).await
    }

    async fn throttle_tracked(&self) -> Result<usize, StoreError> {
        self.call(|c| records::count(c, "SELECT count(*) FROM throttle"))
            .await
    }

    async fn begin_handshake(&self, h: NewHandshake) -> Result<(), StoreError> {
        self.call(move |c| records::begin_handshake(c, &h)).await
    }

    async fn handshake_ready(
        &self,
        handshake_id: &str,
        app_name: &str,
        redirect_url: &str,
    ) -> Result<Option<SessionKey>, StoreError> {
        let (id, name, url) = (
            handshake_id.to_string(),
            app_name.to_string(),
            redirect_url.to_string(),
        );
        self.call(move |c| records::handshake_ready(c, &id, &name, &url))
            .await
    }

    async fn handshake(&self, key: &SessionKey) -> Result<Option<HandshakeRecord>, StoreError> {
        let key = key.clone();
        self.call(move |c| records::handshake(c, &key)).await
    }

    async fn forget_handshake(&self, key: &SessionKey) -> Result<(), StoreError> {
        let key = key.clone();
        self.call(move |c| records::forget_handshake(c, &key)).await
    }

    async fn handshakes_kept(&self) -> Result<usize, StoreError> {
        self.call(|c| records::count(c, "SELECT count(*) FROM handshakes"))
            .await
    }

    async fn signing_keys(&self) -> Result<Vec<SigningKeyRecord>, StoreError> {
        self.call(|c| tokens::signing_keys(c)).await
    }

    async fn add_first_signing_key(&self, key: SigningKeyRecord) -> Result<bool, StoreError> {
        self.call(move |c| tokens::add_first_signing_key(c, &key))
            .await
    }

    async fn rotate_signing_key(&self, key: SigningKeyRecord) -> Result<(), StoreError> {
        self.call(move |c| tokens::rotate_signing_key(c, &key))
            .await
    }

    async fn drop_signing_keys(&self, rotated_before: i64) -> Result<usize, StoreError> {
        self.call(move |c| tokens::drop_signing_keys(c, rotated_before))
            .await
    }

    async fn create_refresh_token(&self, token: NewRefreshToken) -> Result<(), StoreError> {
        self.call(move |c| tokens::create_refresh_token(c, &token))
            .await
    }

    async fn use_refresh_token(&self, rotation: RefreshRotation) -> Result<RefreshUse, StoreError> {
        self.call(move |c| tokens::use_refresh_token(c, &rotation))
            .await
    }

    async fn revoke_refresh_family(
        &self,
        hash: &str,
        now: i64,
    ) -> Result<Option<String>, StoreError> {
        let hash = hash.to_string();
        self.call(move |c| tokens::revoke_refresh_family(c, &hash, now))
            .await
    }

    async fn revoke_user_refresh_tokens(
        &self,
        user_id: &str,
        now: i64,
    ) -> Result<usize, StoreError> {
        let user_id = user_id.to_string();
        self.call(move |c| tokens::revoke_user_refresh_tokens(c, &user_id, now))
            .await
    }

    async fn sweep_refresh_tokens(&self, now: i64) -> Result<usize, StoreError> {
        self.call(move |c| tokens::sweep_refresh_tokens(c, now))
            .await
    }
}
