//! Issuing tokens: an access JWT ([`AccessClaims`]) and a refresh token for an account
//! ([`for_login`]), and the use of a refresh token ([`refresh`]): a live one is replaced by a
//! new one in its family; one used before revokes its family (RFC 9700 §4.14.2).

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
    /// A new pair; the token presented is used up.
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
        })
        .await?;
    match used {
        RefreshUse::Rotated(user) => {
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
