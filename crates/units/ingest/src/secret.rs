//! Connection passwords at rest: sealed with AES-256-GCM under a key of the unit's own
//! ([`KEY_FILE`] in the data directory, 32 random bytes, owner-only, made on first start).
//! The database (a SQLite file, or PostgreSQL, its dumps and backups) then never holds a
//! password a reader could use without that file as well. A password is unsealed only in
//! the connection task that logs in with it, and is never logged or shown back.
//!
//! Sealed text: `v1:` + base64 (standard, padded) of a 12-byte random nonce and the
//! ciphertext with its tag. The connection id is the associated data: a sealed password
//! copied onto another connection does not open.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};

/// The key file's name in the data directory.
pub const KEY_FILE: &str = "ingest-secret.key";

const PREFIX: &str = "v1:";

/// Why a password cannot be sealed or unsealed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SecretError {
    /// The key file cannot be read or made.
    #[error("the ingest key file {}: {reason}", path.display())]
    Key {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A sealed password does not open with this key (another key file, or altered).
    #[error("a stored password cannot be opened with this key file (was {KEY_FILE} replaced?)")]
    Unseal,
    /// No random numbers.
    #[error("no random numbers: {0}")]
    Random(String),
}

/// The key passwords are sealed with.
pub struct SecretKey(LessSafeKey);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(<hidden>)")
    }
}

impl SecretKey {
    /// The key in `data_dir` ([`KEY_FILE`]), made (owner-only) if missing. Blocking.
    pub fn load_or_create(data_dir: &Path) -> Result<SecretKey, SecretError> {
        let path = data_dir.join(KEY_FILE);
        let key_err = |reason: String| SecretError::Key {
            path: path.clone(),
            reason,
        };
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::create_dir_all(data_dir).map_err(|e| key_err(e.to_string()))?;
                let mut bytes = vec![0u8; 32];
                getrandom::fill(&mut bytes).map_err(|e| SecretError::Random(e.to_string()))?;
                modt::files::private_file(&path).map_err(|e| key_err(e.to_string()))?;
                std::fs::write(&path, &bytes).map_err(|e| key_err(e.to_string()))?;
                bytes
            }
            Err(e) => return Err(key_err(e.to_string())),
        };
        SecretKey::from_bytes(&bytes).ok_or_else(|| key_err("must hold exactly 32 bytes".into()))
    }

    /// A key from its 32 bytes (`None` for any other length).
    pub fn from_bytes(bytes: &[u8]) -> Option<SecretKey> {
        let key = UnboundKey::new(&AES_256_GCM, bytes).ok()?;
        Some(SecretKey(LessSafeKey::new(key)))
    }

    /// `password` of connection `id`, sealed.
    pub fn seal(&self, id: &str, password: &str) -> Result<String, SecretError> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|e| SecretError::Random(e.to_string()))?;
        let mut data = password.as_bytes().to_vec();
        self.0
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(id.as_bytes()),
                &mut data,
            )
            .map_err(|_| SecretError::Unseal)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&data);
        Ok(format!(
            "{PREFIX}{}",
            base64::engine::general_purpose::STANDARD.encode(out)
        ))
    }

    /// The password of connection `id` from its sealed text.
    pub fn unseal(&self, id: &str, sealed: &str) -> Result<String, SecretError> {
        let raw = sealed
            .strip_prefix(PREFIX)
            .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
            .filter(|raw| raw.len() > NONCE_LEN)
            .ok_or(SecretError::Unseal)?;
        let (nonce, data) = raw.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| SecretError::Unseal)?;
        let mut data = data.to_vec();
        let plain = self
            .0
            .open_in_place(nonce, Aad::from(id.as_bytes()), &mut data)
            .map_err(|_| SecretError::Unseal)?;
        String::from_utf8(plain.to_vec()).map_err(|_| SecretError::Unseal)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn sealed_passwords_open_only_for_their_connection_and_key() {
        let dir = tempfile::tempdir().unwrap();
        let key = SecretKey::load_or_create(dir.path()).unwrap();
        let sealed = key.seal("c1", "s3cret").unwrap();
        assert!(!sealed.contains("s3cret"));
        assert_eq!(key.unseal("c1", &sealed).unwrap(), "s3cret");
        assert!(key.unseal("c2", &sealed).is_err());
        let again = SecretKey::load_or_create(dir.path()).unwrap();
        assert_eq!(again.unseal("c1", &sealed).unwrap(), "s3cret");
        let other = SecretKey::from_bytes(&[7u8; 32]).unwrap();
        assert!(other.unseal("c1", &sealed).is_err());
        assert!(format!("{key:?}").contains("hidden"));
    }
}
