//! Issuing tokens: an access JWT ([`AccessClaims`]) and a refresh token for an account
//! ([`for_login`]), and the use of a refresh token ([`refresh`]): a live one is replaced by a
//! new one in its family; one used moments ago (within [`TokenConfig::reuse_grace`]) gets a
//! new one in its family too; one used before that revokes its family (RFC 9700 §4.14.2).
//!
//! [`TokenConfig::reuse_grace`]: super::TokenConfig::reuse_grace

use modt::protocol::{AccessClaims, TokenPair};

use super::{refresh as rt, TokenError};
use crate::core::Identity;
use crate::store::{NewRefreshToken, RefreshRotation, RefreshUse, User};

/// The `token_type` of every pair.
pub const TOKEN_TYPE: &str = "Bearer";

/// How a refresh ended.
#[derive(Debug)]
#[non_exhaustive]
pub enum Refreshed {
    /// A new pair; the token presented is used up (a second use within the reuse grace gets
    /// a pair too).
    Pair(TokenPair),
    /// The token had been used before: its family is revoked (every token of that login).
    Reused,
    /// Unknown, expired or revoked.
    Invalid,
}

/// The access token of `user` at `now` (Unix seconds).
fn access_token(identity: &Identity, user: &User, now: i64) -> Result<String, TokenError> {
    let tokens = &identity.config.tokens;
    let iat = u64::try_from(now).unwrap_or(0);
    let claims = AccessClaims {
        iss: tokens.issuer.clone(),
        aud: tokens.audience.clone(),
        sub: user.user_id.clone(),
        name: user.username.clone(),
        role: user.role,
        tenant: None,
        iat,
        exp: iat.saturating_add(tokens.access_ttl.as_secs()),
        jti: uuid::Uuid::new_v4().to_string(),
    };
    identity.keys.sign(&claims)
}

/// The pair answered for `access` and `refresh`.
fn pair(identity: &Identity, access: String, refresh: String) -> TokenPair {
    let tokens = &identity.config.tokens;
    TokenPair {
        access_token: access,
        token_type: TOKEN_TYPE.to_string(),
        expires_in: tokens.access_ttl.as_secs(),
        refresh_token: refresh,
        refresh_expires_in: tokens.refresh_ttl.as_secs(),
    }
}

/// When a refresh token issued at `now` expires.
fn refresh_expiry(identity: &Identity, now: i64) -> i64 {
    now.saturating_add(crate::store::secs(identity.config.tokens.refresh_ttl))
}

/// A new pair for `user`, who just logged in or registered: a new refresh-token family.
pub async fn for_login(identity: &Identity, user: &User) -> Result<TokenPair, TokenError> {
    let now = identity.now();
    // Signed first: without a published key nothing is stored.
    let access = access_token(identity, user, now)?;
    let refresh = rt::new_token()?;
    identity
        .store
        .create_refresh_token(NewRefreshToken {
            hash: rt::hash(&refresh),
            family_id: rt::new_family_id(),
            user_id: user.user_id.clone(),
            created_at: now,
            expires_at: refresh_expiry(identity, now),
        })
        .await?;
    Ok(pair(identity, access, refresh))
}

/// Uses the refresh token `presented`.
pub async fn refresh(identity: &Identity, presented: &str) -> Result<Refreshed, TokenError> {
    if !rt::plausible(presented) {
        return Ok(Refreshed::Invalid);
    }
    // Checked before the token is used up: a pair must be signable.
    if identity.keys.active_kid().is_none() {
        return Err(TokenError::NoKey);
    }
    let now = identity.now();
    let next = rt::new_token()?;
    let used = identity
        .store
        .use_refresh_token(RefreshRotation {
            presented: rt::hash(presented),
            next: rt::hash(&next),
            now,
            expires_at: refresh_expiry(identity, now),
            reuse_grace: crate::store::secs(identity.config.tokens.reuse_grace),
        })
        .await?;
    match used {
        RefreshUse::Rotated(user) => {
            let access = access_token(identity, &user, now)?;
            Ok(Refreshed::Pair(pair(identity, access, next)))
        }
        RefreshUse::Repeated(user) => {
            tracing::info!(user_id = %user.user_id, "a refresh token came back within the reuse grace: another pair of its family");
            let access = access_token(identity, &user, now)?;
            Ok(Refreshed::Pair(pair(identity, access, next)))
        }
        RefreshUse::Reused { user_id } => {
            tracing::warn!(%user_id, "a used refresh token came back: its family is revoked");
            Ok(Refreshed::Reused)
        }
        RefreshUse::Invalid => Ok(Refreshed::Invalid),
    }
}

/// Logout: revokes the family of `presented` (nothing for a token that is not ours).
pub async fn logout(identity: &Identity, presented: &str) -> Result<(), TokenError> {
    if rt::plausible(presented) {
        let hash = rt::hash(presented);
        identity
            .store
            .revoke_refresh_family(&hash, identity.now())
            .await?;
    }
    Ok(())
}

/// Logout everywhere: revokes every refresh token of `user_id`; returns how many.
pub async fn logout_all(identity: &Identity, user_id: &str) -> Result<usize, TokenError> {
    Ok(identity
        .store
        .revoke_user_refresh_tokens(user_id, identity.now())
        .await?)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use tokio::time::advance;

    use super::*;
    use crate::accounts::Role;
    use crate::store::SqliteIdentityStore;
    use crate::tokens::REFRESH_REUSE_GRACE;
    use crate::IdentifyConfig;

    /// The unit's shared parts on a SQLite file of `dir` with a reuse grace of `grace`, a
    /// signing key installed.
    async fn identity(dir: &tempfile::TempDir, grace: Duration) -> Arc<Identity> {
        let store = SqliteIdentityStore::open(&dir.path().join("id.db")).unwrap();
        let mut config = IdentifyConfig::default();
        config.tokens.reuse_grace = grace;
        let id = Identity::new(Arc::new(store), config);
        let update = id
            .keys
            .prepare(id.store.as_ref(), &id.config.tokens, id.now())
            .await
            .unwrap()
            .unwrap();
        id.keys.install(update);
        id
    }

    async fn refreshed(id: &Identity, token: &str) -> Option<TokenPair> {
        match refresh(id, token).await.unwrap() {
            Refreshed::Pair(pair) => Some(pair),
            Refreshed::Reused | Refreshed::Invalid => None,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_second_refresh_within_the_grace_gets_a_pair_and_after_it_revokes() {
        let dir = tempfile::tempdir().unwrap();
        let id = identity(&dir, REFRESH_REUSE_GRACE).await;
        let user = id.store.create_user("ann", "h", Role::User).await.unwrap();
        let first = for_login(&id, &user).await.unwrap();

        // Two tabs at once: both get a pair of the family, and both pairs work.
        let a = refreshed(&id, &first.refresh_token).await.unwrap();
        advance(REFRESH_REUSE_GRACE - Duration::from_secs(1)).await;
        let b = refreshed(&id, &first.refresh_token).await.unwrap();
        assert_ne!(a.refresh_token, b.refresh_token);
        let a2 = refreshed(&id, &a.refresh_token).await.unwrap();

        // Past the grace the first token coming back is theft: the whole family ends.
        advance(Duration::from_secs(1)).await;
        assert!(matches!(
            refresh(&id, &first.refresh_token).await.unwrap(),
            Refreshed::Reused
        ));
        for live in [&b.refresh_token, &a2.refresh_token] {
            assert!(
                refreshed(&id, live).await.is_none(),
                "revoked with its family"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn without_a_grace_any_second_use_revokes() {
        let dir = tempfile::tempdir().unwrap();
        let id = identity(&dir, Duration::ZERO).await;
        let user = id.store.create_user("ann", "h", Role::User).await.unwrap();
        let first = for_login(&id, &user).await.unwrap();
        let a = refreshed(&id, &first.refresh_token).await.unwrap();
        assert!(matches!(
            refresh(&id, &first.refresh_token).await.unwrap(),
            Refreshed::Reused
        ));
        assert!(refreshed(&id, &a.refresh_token).await.is_none());
    }
}
