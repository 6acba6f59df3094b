//! Broker passwords in Mosquitto's own format (`mosquitto_passwd`, version 2): PBKDF2 with
//! HMAC-SHA512, 101 iterations, a 12-byte random salt, written `$7$101$<salt>$<hash>` in
//! standard base64. The same password file serves the embedded broker and Mosquitto.
//!
//! MoDT's broker passwords are 256 random bits, so the low iteration count (Mosquitto's
//! default) costs no safety; it keeps logins cheap for both brokers.

use std::collections::HashMap;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use sha2::Sha512;
use subtle::ConstantTimeEq;

/// PBKDF2 iterations, as `mosquitto_passwd` writes them.
pub const ITERATIONS: u32 = 101;
const SALT_BYTES: usize = 12;
const HASH_BYTES: usize = 64;

/// A `$7$` hash of `password` with a fresh random salt.
pub fn hash(password: &[u8]) -> Result<String, getrandom::Error> {
    let mut salt = [0u8; SALT_BYTES];
    getrandom::fill(&mut salt)?;
    Ok(hash_with(password, &salt, ITERATIONS))
}

fn hash_with(password: &[u8], salt: &[u8], iterations: u32) -> String {
    let mut out = [0u8; HASH_BYTES];
    pbkdf2::pbkdf2_hmac::<Sha512>(password, salt, iterations, &mut out);
    format!(
        "$7${iterations}${}${}",
        STANDARD.encode(salt),
        STANDARD.encode(out)
    )
}

/// Whether `password` matches a `$7$` hash (constant-time comparison).
pub fn verify(password: &[u8], stored: &str) -> bool {
    let mut parts = stored.split('$');
    let (Some(""), Some("7"), Some(iter), Some(salt), Some(_hash), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return false;
    };
    let (Ok(iterations), Ok(salt)) = (iter.parse::<u32>(), STANDARD.decode(salt)) else {
        return false;
    };
    if iterations == 0 || iterations > 1_000_000 {
        return false;
    }
    // The same password, salt and iterations give the same canonical text.
    let computed = hash_with(password, &salt, iterations);
    computed.as_bytes().ct_eq(stored.as_bytes()).into()
}

/// A password file's text: one `username:hash` line per account.
pub fn password_file<'a>(entries: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    entries
        .into_iter()
        .map(|(user, hash)| format!("{user}:{hash}\n"))
        .collect()
}

/// Reads a password file (blank lines and `#` comments skipped).
pub fn parse_password_file(text: &str) -> HashMap<String, String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once(':'))
        .map(|(u, h)| (u.to_string(), h.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_and_verify() {
        let h = hash(b"s3cret").unwrap();
        assert!(h.starts_with("$7$101$"), "{h}");
        assert!(verify(b"s3cret", &h));
        assert!(!verify(b"s3cret!", &h));
        assert!(!verify(b"s3cret", "$6$101$abc$def"));
        assert!(!verify(b"s3cret", "garbage"));
        assert_ne!(hash(b"s3cret").unwrap(), h, "salted");
    }

    #[test]
    fn password_files_round_trip() {
        let text = password_file([("a", "$7$1$x$y"), ("b", "$7$1$z$w")]);
        let map = parse_password_file(&format!("# comment\n\n{text}"));
        assert_eq!(map.len(), 2);
        assert_eq!(map["b"], "$7$1$z$w");
    }
}
