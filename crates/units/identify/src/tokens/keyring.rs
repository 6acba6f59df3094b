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
        // Newest first: a verifier that reads only so many keys keeps the active one.
        let set = keys::jwk_set(stored.iter().rev());
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

#[cfg(test)]
mod tests {
    use jsonwebtoken::errors::ErrorKind;
    use jsonwebtoken::{DecodingKey, Validation};

    use super::*;
    use crate::accounts::Role;
    use crate::store::SqliteIdentityStore;
    use crate::tokens::VERIFY_LEEWAY;

    fn claims(exp: u64) -> AccessClaims {
        AccessClaims {
            iss: "i".into(),
            aud: "a".into(),
            sub: "u1".into(),
            name: "ann".into(),
            role: Role::User,
            tenant: None,
            iat: exp.saturating_sub(300),
            exp,
            jti: "j".into(),
        }
    }

    fn in_five_minutes() -> u64 {
        jsonwebtoken::get_current_timestamp() + 300
    }

    /// Verifies `token` against `set` as a gateway does: the key of its `kid`, EdDSA only.
    fn verify(token: &str, set: &JwkSet) -> Result<AccessClaims, ErrorKind> {
        let header = jsonwebtoken::decode_header(token).map_err(|e| e.into_kind())?;
        let kid = header
            .kid
            .ok_or(ErrorKind::MissingRequiredClaim("kid".into()))?;
        let jwk = set.find(&kid).ok_or(ErrorKind::InvalidKeyFormat)?;
        let key = DecodingKey::from_jwk(jwk).map_err(|e| e.into_kind())?;
        let mut v = Validation::new(Algorithm::EdDSA);
        v.set_audience(&["a"]);
        v.set_issuer(&["i"]);
        jsonwebtoken::decode::<AccessClaims>(token, &key, &v)
            .map(|d| d.claims)
            .map_err(|e| e.into_kind())
    }

    fn kid_of(token: &str) -> String {
        jsonwebtoken::decode_header(token).unwrap().kid.unwrap()
    }

    #[tokio::test]
    async fn a_new_key_signs_only_once_published_and_an_old_one_verifies_until_it_retires() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteIdentityStore::open(&dir.path().join("id.db")).unwrap();
        let config = TokenConfig::default();
        let ring = KeyRing::new();

        // A new store gets its first key; nothing signs before its set is installed.
        let first = ring.prepare(&store, &config, 1000).await.unwrap().unwrap();
        assert_eq!(first.set.keys.len(), 1);
        let a = first.active_kid().unwrap().to_string();
        assert!(matches!(
            ring.sign(&claims(in_five_minutes())),
            Err(TokenError::NoKey)
        ));
        ring.install(first);
        let t1 = ring.sign(&claims(in_five_minutes())).unwrap();
        assert_eq!(kid_of(&t1), a);
        assert!(ring.prepare(&store, &config, 1001).await.unwrap().is_none());

        // Rotated elsewhere (modt auth rotate-key): the reload offers both keys, and the old
        // one signs until the set holding the new one is installed.
        let b = crate::tokens::rotate_key(&store, 1100).await.unwrap();
        let update = ring.prepare(&store, &config, 1101).await.unwrap().unwrap();
        assert_eq!(update.active_kid(), Some(b.as_str()));
        let published = update.set.clone();
        assert!(published.find(&a).is_some() && published.find(&b).is_some());
        assert_eq!(
            published.keys[0].common.key_id.as_deref(),
            Some(b.as_str()),
            "newest first"
        );
        assert_eq!(kid_of(&ring.sign(&claims(in_five_minutes())).unwrap()), a);
        ring.install(update);
        let t2 = ring.sign(&claims(in_five_minutes())).unwrap();
        assert_eq!(kid_of(&t2), b);
        assert_eq!(
            verify(&t1, &published).unwrap().sub,
            "u1",
            "old tokens verify"
        );
        assert_eq!(verify(&t2, &published).unwrap().sub, "u1");

        // The old key stays until what it signed has expired (plus a reload and the leeway).
        let retire = crate::store::secs(config.key_retire_after());
        assert_eq!(retire, 30 + 300 + 60);
        let kept = ring.prepare(&store, &config, 1100 + retire).await.unwrap();
        assert!(kept.is_none(), "not retired yet");
        let gone = ring
            .prepare(&store, &config, 1101 + retire)
            .await
            .unwrap()
            .unwrap();
        assert!(gone.set.find(&a).is_none() && gone.set.find(&b).is_some());
        assert_eq!(gone.active_kid(), Some(b.as_str()));
        ring.install(gone);
        assert!(verify(&t1, &ring.jwks()).is_err(), "its key is gone");
        assert!(verify(&t2, &ring.jwks()).is_ok());
    }

    #[tokio::test]
    async fn an_expired_token_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteIdentityStore::open(&dir.path().join("id.db")).unwrap();
        let ring = KeyRing::new();
        let update = ring
            .prepare(&store, &TokenConfig::default(), 1000)
            .await
            .unwrap()
            .unwrap();
        ring.install(update);
        // Past `exp` by more than the verifier's leeway.
        let past = jsonwebtoken::get_current_timestamp() - VERIFY_LEEWAY.as_secs() - 5;
        let token = ring.sign(&claims(past)).unwrap();
        assert_eq!(
            verify(&token, &ring.jwks()).unwrap_err(),
            ErrorKind::ExpiredSignature
        );
        let fresh = ring.sign(&claims(in_five_minutes())).unwrap();
        assert!(verify(&fresh, &ring.jwks()).is_ok());
    }

    #[test]
    fn the_signing_key_stays_out_of_debug_output() {
        let key = keys::generate(1).unwrap();
        let ring = KeyRing::new();
        ring.install(KeyUpdate {
            set: keys::jwk_set(std::slice::from_ref(&key)),
            signer: Some(Signer {
                kid: key.kid.clone(),
                key: keys::encoding_key(&key),
            }),
        });
        let shown = format!("{ring:?}");
        assert!(shown.contains(&key.kid), "{shown}");
        assert!(!shown.contains("content"), "{shown}");
    }
}
