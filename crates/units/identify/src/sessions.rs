//! Session ids and the keys they are stored under.
//!
//! A session id is 32 random bytes from the OS (256 bits), hex-encoded; the browser holds it
//! in the session cookie. The database stores only its SHA-256 ([`SessionKey`]), so a copy of
//! the database does not hand out live sessions.

use sha2::{Digest, Sha256};

/// Random bytes in a session id.
pub const SESSION_ID_BYTES: usize = 32;
/// Longest session id accepted from a client (the original's were UUIDs; ours are 64 chars).
pub const MAX_SESSION_ID: usize = 128;

/// A new random session id.
pub fn new_session_id() -> Result<String, modt_web::WebError> {
    Ok(modt_web::random::token(SESSION_ID_BYTES)?)
}

/// What a session is stored under: the SHA-256 of its id, hex-encoded.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SessionKey(String);

impl SessionKey {
    /// The key of `session_id`.
    pub fn of(session_id: &str) -> SessionKey {
        SessionKey(hex::encode(Sha256::digest(session_id.as_bytes())))
    }

    /// A key as a store read it back (already a digest).
    pub(crate) fn from_stored(digest: String) -> SessionKey {
        SessionKey(digest)
    }

    /// The hex digest.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Only a prefix is shown, so logs can correlate without holding anything usable.
impl std::fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SessionKey({}…)", &self.0[..8.min(self.0.len())])
    }
}

/// Whether a client-sent session id is worth looking up.
pub fn plausible(session_id: &str) -> bool {
    !session_id.is_empty() && session_id.len() <= MAX_SESSION_ID
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_long_random_and_keys_hide_them() {
        let a = new_session_id().unwrap();
        let b = new_session_id().unwrap();
        assert_eq!(a.len(), SESSION_ID_BYTES * 2);
        assert_ne!(a, b);
        let key = SessionKey::of(&a);
        assert_ne!(key.as_str(), a);
        assert_eq!(key, SessionKey::of(&a));
        assert!(!format!("{key:?}").contains(key.as_str()));
    }
}
