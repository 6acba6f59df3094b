//! [`KeyRing`]: the key access tokens are signed with and the JWK Set verifiers were given.
//!
//! A change is made in two steps so that a new key never signs before verifiers can know it:
//! [`KeyRing::prepare`] reads the store (creating the first key of a new store, dropping keys
//! past their retirement) and says what would change; the caller publishes the new set; only
//! then [`KeyRing::install`] makes it current and switches signing to the new active key.

use std::sync::RwLock;

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use modt::protocol::AccessClaims;

use super::{keys, TokenConfig, TokenError};
use crate::store::{IdentityStore, SigningKeyRecord};

/// The key tokens are signed with now.
struct Signer {
    kid: String,
    key: EncodingKey,
}

/// Only the key id: the key is a secret.
impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Default)]
struct Current {
    /// The JWK Set as last published.
    set: JwkSet,
    /// The active key, once a set holding it was published.
    signer: Option<Signer>,
}

/// A change of the published keys, to publish and then [`install`](KeyRing::install).
#[derive(Debug)]
pub struct KeyUpdate {
    /// The JWK Set to publish.
    pub set: JwkSet,
    signer: Option<Signer>,
}

impl KeyUpdate {
    /// The id of the key that signs once this is installed.
    pub fn active_kid(&self) -> Option<&str> {
        self.signer.as_ref().map(|s| s.kid.as_str())
    }
}

/// The signing key in use and the JWK Set published. Shared by the unit's handlers (which
/// sign) and its key keeper (which reloads).
#[derive(Debug, Default)]
pub struct KeyRing {
    current: RwLock<Current>,
}

impl KeyRing {
    /// An empty ring: nothing signs until a set is installed.
    pub fn new() -> KeyRing {
        KeyRing::default()
    }

    /// The JWK Set as last published (empty before the first).
    pub fn jwks(&self) -> JwkSet {
        self.current
            .read()
            .map(|c| c.set.clone())
            .unwrap_or_default()
    }

    /// The id of the key that signs now.
    pub fn active_kid(&self) -> Option<String> {
        let current = self.current.read().ok()?;
        current.signer.as_ref().map(|s| s.kid.clone())
    }

    /// Signs `claims` with the active key (`alg` EdDSA, its `kid` in the header).
    pub fn sign(&self, claims: &AccessClaims) -> Result<String, TokenError> {
        let current = self.current.read().map_err(|_| TokenError::NoKey)?;
        let signer = current.signer.as_ref().ok_or(TokenError::NoKey)?;
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(signer.kid.clone());
        Ok(jsonwebtoken::encode(&header, claims, &signer.key)?)
    }

    /// Reads the keys in `store` at `now` (Unix seconds): drops the keys retired by then
    /// ([`TokenConfig::key_retire_after`]), makes the first key if none is active, and
    /// returns the change to publish, or `None` if the published set and signer stand.
    pub async fn prepare(
        &self,
        store: &dyn IdentityStore,
        config: &TokenConfig,
        now: i64,
    ) -> Result<Option<KeyUpdate>, TokenError> {
        let retire = crate::store::secs(config.key_retire_after());
        store.drop_signing_keys(now.saturating_sub(retire)).await?;
        let mut stored = store.signing_keys().await?;
        if !stored.iter().any(|k| k.rotated_at.is_none()) {
            // Of replicas starting together on one database, one key wins; all read it.
            store.add_first_signing_key(keys::generate(now)?).await?;
            stored = store.signing_keys().await?;
        }
        let set = keys::jwk_set(&stored);
        let active: Option<&SigningKeyRecord> =
            stored.iter().rev().find(|k| k.rotated_at.is_none());
        let unchanged = {
            let current = self.current.read().map_err(|_| TokenError::NoKey)?;
            let kid = current.signer.as_ref().map(|s| s.kid.as_str());
            current.set == set && kid == active.map(|k| k.kid.as_str())
        };
        if unchanged {
            return Ok(None);
        }
        Ok(Some(KeyUpdate {
            set,
            signer: active.map(|k| Signer {
                kid: k.kid.clone(),
                key: keys::encoding_key(k),
            }),
        }))
    }

    /// Makes `update` current: call it once its set is published.
    pub fn install(&self, update: KeyUpdate) {
        if let Ok(mut current) = self.current.write() {
            *current = Current {
                set: update.set,
                signer: update.signer,
            };
        }
    }
}
