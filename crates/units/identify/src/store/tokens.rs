//! What the store keeps for the token API: the Ed25519 signing keys ([`SigningKeyRecord`]) and
//! the refresh tokens (only their SHA-256, in families: [`NewRefreshToken`],
//! [`RefreshRotation`], [`RefreshUse`]). The rules are in `crate::tokens`; both backends apply
//! them in one atomic step per method.

use crate::store::User;

/// A signing key as stored. Its private half never appears in `Debug` output or logs.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKeyRecord {
    /// The key id (`kid` of the JWT header and of its JWK).
    pub kid: String,
    /// The private key, a PKCS#8 document (secret).
    pub private_pkcs8: Vec<u8>,
    /// The 32-byte Ed25519 public key.
    pub public_key: Vec<u8>,
    /// When it was made (Unix seconds).
    pub created_at: i64,
    /// When a newer key replaced it for signing (Unix seconds); `None` while it is the active
    /// key. A replaced key stays published until every token it signed has expired.
    pub rotated_at: Option<i64>,
}

/// The private key is a secret: never printed.
impl std::fmt::Debug for SigningKeyRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKeyRecord")
            .field("kid", &self.kid)
            .field("created_at", &self.created_at)
            .field("rotated_at", &self.rotated_at)
            .finish_non_exhaustive()
    }
}

/// A refresh token to store: the first of a new family (at login or registration).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRefreshToken {
    /// The SHA-256 of the token (hex); the token itself is never stored.
    pub hash: String,
    /// The family: every token that replaced another shares the first one's family.
    pub family_id: String,
    /// Whose it is.
    pub user_id: String,
    /// Issued at (Unix seconds).
    pub created_at: i64,
    /// Expires at (Unix seconds).
    pub expires_at: i64,
}

/// One use of a refresh token: `presented` is replaced by `next` in the same family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshRotation {
    /// The SHA-256 (hex) of the token presented.
    pub presented: String,
    /// The SHA-256 (hex) of its replacement.
    pub next: String,
    /// Now (Unix seconds).
    pub now: i64,
    /// When the replacement expires (Unix seconds).
    pub expires_at: i64,
    /// Seconds after `presented` was used during which it may come back and get a
    /// replacement of its family ([`RefreshUse::Repeated`]) instead of revoking it; used
    /// earlier than `now - reuse_grace` (or a grace of 0): [`RefreshUse::Reused`].
    pub reuse_grace: i64,
}

impl RefreshRotation {
    /// Whether a token used at `used_at` is still inside the grace window at `now`.
    pub fn within_grace(&self, used_at: i64) -> bool {
        self.now < used_at.saturating_add(self.reuse_grace)
    }
}

/// How a refresh token's use ended ([`IdentityStore::use_refresh_token`](super::IdentityStore::use_refresh_token)).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RefreshUse {
    /// It was live: it is now used, and its replacement is stored. The account as it is now.
    Rotated(User),
    /// It had been used less than the grace ago (two tabs refreshing at once): it stays used,
    /// and one more replacement of its family is stored. The account as it is now.
    Repeated(User),
    /// It had been used before the grace window: someone holds a copy. Its whole family is
    /// revoked now.
    Reused {
        /// Whose family it was.
        user_id: String,
    },
    /// Unknown, expired or revoked: nothing changed.
    Invalid,
}
