//! Refresh tokens: 256 random bits, base64url (43 characters). Only their SHA-256 is stored,
//! so a copy of the database cannot be used to refresh.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use sha2::{Digest, Sha256};

use super::keys::random_bytes;
use super::TokenError;

/// Random bytes in a refresh token.
pub const REFRESH_TOKEN_BYTES: usize = 32;

/// Characters of a refresh token (base64url of [`REFRESH_TOKEN_BYTES`], no padding).
pub const REFRESH_TOKEN_CHARS: usize = 43;

/// A new refresh token.
pub fn new_token() -> Result<String, TokenError> {
    Ok(URL_SAFE_NO_PAD.encode(random_bytes::<REFRESH_TOKEN_BYTES>()?))
}

/// A new family id (a UUID): the first token of a login and all that replace it share it.
pub fn new_family_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The SHA-256 of `token`, hex: how it is stored and looked up.
pub fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Whether `token` could be one of ours (its length and alphabet); anything else is refused
/// without a database read.
pub fn plausible(token: &str) -> bool {
    token.len() == REFRESH_TOKEN_CHARS
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_plausible_and_hashed() {
        let (a, b) = (new_token().unwrap(), new_token().unwrap());
        assert_ne!(a, b);
        assert!(plausible(&a), "{a}");
        assert_eq!(hash(&a).len(), 64);
        assert_ne!(hash(&a), hash(&b));
        for bad in ["", "short", &"a".repeat(44), &format!("{}=", &a[..42])] {
            assert!(!plausible(bad), "{bad}");
        }
    }
}
