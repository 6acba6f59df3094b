//! Unguessable tokens from the operating system's random source (CSRF tokens, session ids).

/// `bytes` random bytes from the OS, hex-encoded (`2 × bytes` characters).
pub fn token(bytes: usize) -> Result<String, getrandom::Error> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf)?;
    Ok(hex::encode(buf))
}

#[cfg(test)]
mod tests {
    #[test]
    fn tokens_are_hex_and_differ() {
        let a = super::token(16).unwrap();
        let b = super::token(16).unwrap();
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }
}
