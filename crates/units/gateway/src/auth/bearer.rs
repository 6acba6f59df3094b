//! Checking a bearer access token: an EdDSA JWT whose `kid` is in the [`KeyRing`], with the
//! configured issuer and audience, not expired; its claims become the [`Caller`]. A token
//! verified before, under the same key set and before its `exp`, is answered from the
//! [`TokenCache`] without checking its signature again.

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Validation};
use modt::protocol::{AccessClaims, Caller};

use super::cache::TokenCache;
use super::jwks::KeyRing;

/// Longest token read; a longer `Authorization` value is refused without parsing.
pub(crate) const MAX_TOKEN_BYTES: usize = 8 * 1024;
/// Clock skew allowed on `exp`, in seconds.
pub(crate) const LEEWAY_SECS: u64 = 30;

/// Why a token was refused. The message is safe to send (it never echoes the token).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum TokenError {
    #[error("the access token has expired")]
    Expired,
    #[error("the access token is not valid")]
    Invalid,
    #[error("the access token was signed by an unknown key")]
    UnknownKey,
}

/// What a valid token must say.
pub(crate) fn validation(issuer: &str, audience: &str) -> Validation {
    let mut v = Validation::new(Algorithm::EdDSA);
    v.set_issuer(&[issuer]);
    v.set_audience(&[audience]);
    v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    v.leeway = LEEWAY_SECS;
    v
}

/// Verifies `token` (or finds it verified in `cache`) and returns its caller.
pub(crate) async fn verify(
    ring: &KeyRing,
    cache: &TokenCache,
    validation: &Validation,
    token: &str,
) -> Result<Caller, TokenError> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(TokenError::Invalid);
    }
    // Read before the key: a set that changes during the check makes this entry stale.
    let generation = ring.generation();
    let now = jsonwebtoken::get_current_timestamp();
    if let Some(caller) = cache.get(token, generation, now) {
        return Ok(caller);
    }
    let claims = check(ring, validation, token).await?;
    let exp = claims.exp;
    let caller = Caller {
        user_id: claims.sub,
        username: claims.name,
        role: claims.role,
        // Single-tenant for now: a tenant claim is not passed on (docs/protocol.md §7).
        tenant: None,
    };
    cache.insert(token, caller.clone(), exp, generation, now);
    Ok(caller)
}

/// The full check: header, key, signature, claims.
async fn check(
    ring: &KeyRing,
    validation: &Validation,
    token: &str,
) -> Result<AccessClaims, TokenError> {
    let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Invalid)?;
    if header.alg != Algorithm::EdDSA {
        return Err(TokenError::Invalid);
    }
    let kid = header.kid.ok_or(TokenError::Invalid)?;
    let key = ring
        .key_or_refetch(&kid)
        .await
        .ok_or(TokenError::UnknownKey)?;
    let data =
        jsonwebtoken::decode::<AccessClaims>(token, &key, validation).map_err(|e| {
            match e.kind() {
                ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid,
            }
        })?;
    Ok(data.claims)
}
