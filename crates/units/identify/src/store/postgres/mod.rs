//! The PostgreSQL identity store: the unit's tables in its own schema of a shared database,
//! over the `modt_store` pool (tokio-postgres, no blocking calls). Replicas of the unit can
//! share it: each trait method is one statement or one transaction, and the throttle's
//! check-and-count and the handshakes' bound take transaction-scoped advisory locks, so
//! concurrent takers on any replica queue for the same keys.
//!
//! - `schema`: the versioned migrations.
//! - `accounts`: users and sessions.
//! - `records`: throttle counters and login handshakes.
//! - `tokens`: the token API's signing keys and refresh tokens.

mod accounts;
mod records;
mod schema;
mod tokens;

use std::time::Duration;

use async_trait::async_trait;
use modt_store::{PgConnection, PgPool, PostgresUrl};

use super::{
    Credentials, HandshakeRecord, IdentityStore, NewHandshake, NewRefreshToken, NewSession,
    RefreshRotation, RefreshUse, SigningKeyRecord, StoreError, ThrottleTake, User, UserChange,
};
use crate::accounts::Role;
use crate::sessions::SessionKey;

/// Connections the store's pool keeps at most (logins are rare; queries are short).
pub(super) const MAX_CONNECTIONS: usize = 4;

/// The PostgreSQL [`IdentityStore`]. Cheap to clone (one pool shared).
#[derive(Debug, Clone)]
pub struct PostgresIdentityStore {
    pool: PgPool,
}

impl PostgresIdentityStore {
    /// Connects to `url`, creates `schema` if missing and brings it up to date.
    pub async fn open(
        url: &PostgresUrl,
        schema: &str,
    ) -> Result<PostgresIdentityStore, StoreError> {
        let pool = PgPool::open(url, schema, MAX_CONNECTIONS, schema::MIGRATIONS)
            .await
            .map_err(|e| StoreError::Open {
                location: format!("{url} (schema {schema})"),
                source: e.into(),
            })?;
        Ok(PostgresIdentityStore { pool })
    }

    /// A pooled connection.
    async fn conn(&self) -> Result<PgConnection, StoreError> {
        self.pool
            .get()
            .await
            .map_err(|e| StoreError::Unavailable(e.to_string()))
    }
}

/// Maps a tokio-postgres error to a [`StoreError::Database`] for `context`, with the
/// server's code and message.
fn db(context: &'static str) -> impl FnOnce(tokio_postgres::Error) -> StoreError {
    move |e| StoreError::database(context, modt_store::postgres::error(context, e))
}

/// Unix seconds as stored.
fn secs(idle: Duration) -> i64 {
    super::secs(idle)
}

#[async_trait]
impl IdentityStore for PostgresIdentityStore {
    async fn create_user(
        &self,
        username: &str,
        password_hash: &str,
        role: Role,
    ) -> Result<User, StoreError> {
        let user = User::new(username, role);
        accounts::create_user(&**self.conn().await?, user, password_hash).await
    }

    async fn credentials(&self, username: &str) -> Result<Option<Credentials>, StoreError> {
        accounts::credentials(&**self.conn().await?, username).await
    }

    async fn users(&self) -> Result<Vec<User>, StoreError> {
        accounts::users(&**self.conn().await?).await
    }

    async fn change_user(
        &self,
        username: &str,
        change: UserChange,
    ) -> Result<Option<User>, StoreError> {
        accounts::change_user(&mut **self.conn().await?, username, &change).await
    }

    async fn create_session(&self, s: NewSession) -> Result<(), StoreError> {
        accounts::create_session(&**self.conn().await?, &s).await
    }

    async fn session_user(
        &self,
        key: &SessionKey,
        now: i64,
        idle: Duration,
    ) -> Result<Option<User>, StoreError> {
        accounts::session_user(&**self.conn().await?, key, now, secs(idle)).await
    }

    async fn revoke_session(&self, key: &SessionKey, now: i64) -> Result<bool, StoreError> {
        accounts::revoke_session(&**self.conn().await?, key, now).await
    }

    async fn sweep(&self, now: i64, idle: Duration) -> Result<usize, StoreError> {
        accounts::sweep(&**self.conn().await?, now, secs(idle)).await
    }

    async fn throttle_take(&self, take: ThrottleTake) -> Result<Result<(), Duration>, StoreError> {
        records::throttle_take(&mut **self.conn().await?, &take).await
    }

    async fn throttle_uncount(&self, keys: Vec<String>, at_ms: i64) -> Result<(), StoreError> {
        records::throttle_uncount(&mut **self.conn().await?, &keys, at_ms).await
    }

    async fn throttle_forget(&self, keys: Vec<String>) -> Result<(), StoreError> {
        records::throttle_forget(&**self.conn().await?, &keys).await
    }

    async fn throttle_tracked(&self) -> Result<usize, StoreError> {
        records::count(&**self.conn().await?, "SELECT count(*) FROM throttle").await
    }

    async fn begin_handshake(&self, h: NewHandshake) -> Result<(), StoreError> {
        records::begin_handshake(&mut **self.conn().await?, &h).await
    }

    async fn handshake_ready(
        &self,
        handshake_id: &str,
        app_name: &str,
        redirect_url: &str,
    ) -> Result<Option<SessionKey>, StoreError> {
        let conn = self.conn().await?;
        records::handshake_ready(&conn, handshake_id, app_name, redirect_url).await
    }

    async fn handshake(&self, key: &SessionKey) -> Result<Option<HandshakeRecord>, StoreError> {
        records::handshake(&**self.conn().await?, key).await
    }

    async fn forget_handshake(&self, key: &SessionKey) -> Result<(), StoreError> {
        records::forget_handshake(&**self.conn().await?, key).await
    }

    async fn handshakes_kept(&self) -> Result<usize, StoreError> {
        records::count(&**self.conn().await?, "SELECT count(*) FROM handshakes").await
    }

    async fn signing_keys(&self) -> Result<Vec<SigningKeyRecord>, StoreError> {
        tokens::signing_keys(&**self.conn().await?).await
    }

    async fn add_first_signing_key(&self, key: SigningKeyRecord) -> Result<bool, StoreError> {
        tokens::add_first_signing_key(&**self.conn().await?, &key).await
    }

    async fn rotate_signing_key(&self, key: SigningKeyRecord) -> Result<(), StoreError> {
        tokens::rotate_signing_key(&mut **self.conn().await?, &key).await
    }

    async fn drop_signing_keys(&self, rotated_before: i64) -> Result<usize, StoreError> {
        tokens::drop_signing_keys(&**self.conn().await?, rotated_before).await
    }

    async fn create_refresh_token(&self, token: NewRefreshToken) -> Result<(), StoreError> {
        tokens::create_refresh_token(&**self.conn().await?, &token).await
    }

    async fn use_refresh_token(&self, rotation: RefreshRotation) -> Result<RefreshUse, StoreError> {
        tokens::use_refresh_token(&mut **self.conn().await?, &rotation).await
    }

    async fn revoke_refresh_family(
        &self,
        hash: &str,
        now: i64,
    ) -> Result<Option<String>, StoreError> {
        tokens::revoke_refresh_family(&**self.conn().await?, hash, now).await
    }

    async fn revoke_user_refresh_tokens(
        &self,
        user_id: &str,
        now: i64,
    ) -> Result<usize, StoreError> {
        tokens::revoke_user_refresh_tokens(&**self.conn().await?, user_id, now).await
    }

    async fn sweep_refresh_tokens(&self, now: i64) -> Result<usize, StoreError> {
        tokens::sweep_refresh_tokens(&**self.conn().await?, now).await
    }

    fn close(&self) {
        self.pool.close();
    }
}
