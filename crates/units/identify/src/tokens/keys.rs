//! Ed25519 signing keys: made with `ring` (PKCS#8), used through jsonwebtoken, published as
//! JWKs (`kty` `OKP`, `crv` `Ed25519`, `alg` `EdDSA`, `use` `sig`, with their `kid`).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::jwk::{
    AlgorithmParameters, CommonParameters, EllipticCurve, Jwk, JwkSet, KeyAlgorithm,
    OctetKeyPairParameters, OctetKeyPairType, PublicKeyUse,
};
use jsonwebtoken::EncodingKey;
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{Ed25519KeyPair, KeyPair as _};

use super::TokenError;
use crate::store::SigningKeyRecord;

/// Random bytes in a key id (base64url, 22 characters).
pub const KID_BYTES: usize = 16;

/// `n` random bytes from the system's source.
pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N], TokenError> {
    let mut bytes = [0u8; N];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| TokenError::Crypto("the system random source failed".into()))?;
    Ok(bytes)
}

/// A new Ed25519 key made at `now` (Unix seconds), active (not replaced).
pub fn generate(now: i64) -> Result<SigningKeyRecord, TokenError> {
    let rng = SystemRandom::new();
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng)
        .map_err(|_| TokenError::Crypto("could not make an Ed25519 key".into()))?;
    let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref())
        .map_err(|e| TokenError::Crypto(format!("the new key was refused: {e}")))?;
    Ok(SigningKeyRecord {
        kid: URL_SAFE_NO_PAD.encode(random_bytes::<KID_BYTES>()?),
        private_pkcs8: pkcs8.as_ref().to_vec(),
        public_key: pair.public_key().as_ref().to_vec(),
        created_at: now,
        rotated_at: None,
    })
}

/// The key jsonwebtoken signs with.
pub fn encoding_key(key: &SigningKeyRecord) -> EncodingKey {
    EncodingKey::from_ed_der(&key.private_pkcs8)
}

/// The public half of `key` as a JWK.
pub fn jwk(key: &SigningKeyRecord) -> Jwk {
    Jwk {
        common: CommonParameters {
            public_key_use: Some(PublicKeyUse::Signature),
            key_algorithm: Some(KeyAlgorithm::EdDSA),
            key_id: Some(key.kid.clone()),
            ..Default::default()
        },
        algorithm: AlgorithmParameters::OctetKeyPair(OctetKeyPairParameters {
            key_type: OctetKeyPairType::OctetKeyPair,
            curve: EllipticCurve::Ed25519,
            x: URL_SAFE_NO_PAD.encode(&key.public_key),
        }),
    }
}

/// The JWK Set of `keys`, in their order.
pub fn jwk_set<'a>(keys: impl IntoIterator<Item = &'a SigningKeyRecord>) -> JwkSet {
    JwkSet {
        keys: keys.into_iter().map(jwk).collect(),
    }
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::{Algorithm, DecodingKey, Header, Validation};

    use super::*;

    #[test]
    fn a_new_key_signs_what_its_jwk_verifies() {
        let key = generate(1).unwrap();
        assert_eq!(key.public_key.len(), 32);
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(key.kid.clone());
        let claims = serde_json::json!({"sub": "u", "exp": 4_000_000_000u64});
        let token = jsonwebtoken::encode(&header, &claims, &encoding_key(&key)).unwrap();

        let set = jwk_set(std::slice::from_ref(&key));
        let json = serde_json::to_value(&set).unwrap();
        let shown = &json["keys"][0];
        assert_eq!(shown["kty"], "OKP");
        assert_eq!(shown["crv"], "Ed25519");
        assert_eq!(shown["alg"], "EdDSA");
        assert_eq!(shown["use"], "sig");
        assert_eq!(shown["kid"], key.kid.as_str());
        let found = set.find(&key.kid).unwrap();
        let mut v = Validation::new(Algorithm::EdDSA);
        v.required_spec_claims.clear();
        let decoded = jsonwebtoken::decode::<serde_json::Value>(
            &token,
            &DecodingKey::from_jwk(found).unwrap(),
            &v,
        )
        .unwrap();
        assert_eq!(decoded.claims["sub"], "u");
    }

    #[test]
    fn the_private_key_stays_out_of_debug_output() {
        let key = generate(1).unwrap();
        let shown = format!("{key:?}");
        assert!(shown.contains(&key.kid));
        assert!(!shown.contains("private"), "{shown}");
        assert!(
            !shown.contains(&format!("{:?}", key.private_pkcs8)),
            "{shown}"
        );
    }
}
