//! The token API (docs/protocol.md, "Tokens"): short-lived access JWTs signed with Ed25519,
//! and opaque refresh tokens that are replaced at every use.
//!
//! - [`keys`]: making an Ed25519 signing key, and its public half as a JWK.
//! - [`keyring`]: [`KeyRing`], the key tokens are signed with now and the JWK Set published;
//!   reloaded from the store, so a rotation made elsewhere (`modt auth rotate-key`, another
//!   replica) is picked up.
//! - [`keeper`]: the unit's service that reloads the keys every [`KEY_RELOAD_EVERY`] and
//!   publishes the JWK Set (retained, on `modt/auth/jwks`) before a new key signs anything.
//! - [`refresh`]: refresh tokens: 256 random bits, stored only as their SHA-256.
//! - [`issue`]: a [`TokenPair`](modt::protocol::TokenPair) for a login, and the rotation of a
//!   refresh token with reuse detection.
//!
//! This module does not check passwords (`crate::login`) nor read MQTT messages
//! (`crate::mqtt`).

pub mod issue;
pub mod keeper;
pub mod keyring;
pub mod keys;
pub mod refresh;

use std::time::Duration;

pub use keyring::KeyRing;

/// How long an access token is valid, unless configured otherwise (`--access-token-ttl`).
pub const DEFAULT_ACCESS_TTL: Duration = Duration::from_secs(5 * 60);

/// How long a refresh token is valid, unless configured otherwise (`--refresh-token-ttl`).
/// Each use replaces it with one valid this long again.
pub const DEFAULT_REFRESH_TTL: Duration = Duration::from_secs(14 * 24 * 3600);

/// How often the unit re-reads its signing keys from the store (to pick up a rotation made by
/// `modt auth rotate-key` or another replica) and drops retired ones.
pub const KEY_RELOAD_EVERY: Duration = Duration::from_secs(30);

/// The most clock skew a verifier is assumed to allow past `exp` (jsonwebtoken's default
/// `Validation::leeway`; the gateway allows less): a replaced key stays published this much
/// longer than the tokens it signed.
pub const VERIFY_LEEWAY: Duration = Duration::from_secs(60);

/// How long after a refresh token's use it may be presented again and get a new pair of its
/// family instead of revoking the family ([`TokenConfig::reuse_grace`]): two tabs refreshing at
/// the same moment with the same token, or a reply lost on the way, is not theft. Counted in
/// whole seconds of the store's clock, so a second use between 4 and 5 s after the first may
/// already be outside it. Past it, a reuse revokes the family as before (RFC 9700 §4.14.2).
/// The same idea as Auth0's and Okta's "reuse interval" and Ory Hydra's grace period.
pub const REFRESH_REUSE_GRACE: Duration = Duration::from_secs(5);

/// The settings of the token API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenConfig {
    /// Access-token lifetime.
    pub access_ttl: Duration,
    /// Refresh-token lifetime (from its issue; each use issues a new one).
    pub refresh_ttl: Duration,
    /// The `iss` of access tokens.
    pub issuer: String,
    /// The `aud` of access tokens.
    pub audience: String,
    /// How often keys are re-read from the store ([`KEY_RELOAD_EVERY`]).
    pub key_reload_every: Duration,
    /// How long a used refresh token may come back without revoking its family
    /// ([`REFRESH_REUSE_GRACE`]); zero: never.
    pub reuse_grace: Duration,
}

impl Default for TokenConfig {
    fn default() -> Self {
        TokenConfig {
            access_ttl: DEFAULT_ACCESS_TTL,
            refresh_ttl: DEFAULT_REFRESH_TTL,
            issuer: modt::protocol::token::DEFAULT_ISSUER.to_string(),
            audience: modt::protocol::token::DEFAULT_AUDIENCE.to_string(),
            key_reload_every: KEY_RELOAD_EVERY,
            reuse_grace: REFRESH_REUSE_GRACE,
        }
    }
}

impl TokenConfig {
    /// How long a replaced key stays published: a replica may sign with it until it reloads
    /// (one reload period), and what it signed then is valid for one access lifetime plus
    /// the verifier's leeway.
    pub fn key_retire_after(&self) -> Duration {
        self.key_reload_every + self.access_ttl + VERIFY_LEEWAY
    }
}

/// Why a token could not be issued or a key made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// The system's random source or the key library failed (never for ordinary input).
    #[error("could not make a key or token: {0}")]
    Crypto(String),
    /// Signing failed.
    #[error("could not sign an access token: {0}")]
    Sign(#[from] jsonwebtoken::errors::Error),
    /// No signing key is published yet (the unit is starting, or the broker is unreachable).
    #[error("no signing key is published yet")]
    NoKey,
}

/// Rotates the signing key in `store` (`modt auth rotate-key`): a new key becomes the active
/// one, made at `now` (Unix seconds); the one it replaces stays published until it retires.
/// Running units pick it up within their reload period. Returns the new key's id.
pub async fn rotate_key(
    store: &dyn crate::store::IdentityStore,
    now: i64,
) -> Result<String, TokenError> {
    let key = keys::generate(now)?;
    let kid = key.kid.clone();
    store.rotate_signing_key(key).await?;
    Ok(kid)
}
