//! Access tokens already verified, remembered so that a client sending the same token on
//! every call pays for one signature check instead of one per call (Ed25519 verification was
//! about a tenth of the gateway's CPU under load).
//!
//! A hit skips only what cannot change for the same bytes under the same keys: decoding the
//! token, its signature, issuer and audience, and building the caller. It never outlives what
//! made the token good:
//! - an entry is used only until the token's own `exp` (without the leeway a fresh check
//!   allows, so a cached answer is never more generous than a fresh one);
//! - an entry is used only under the key set it was verified with: any change of the set
//!   (a rotation, a key withdrawn, the set cleared) makes every entry stale at once, and the
//!   next call verifies again against the current keys.
//!
//! Entries are keyed by the SHA-256 of the token, never the token itself, and at most
//! [`MAX_CACHED_TOKENS`] are kept; when full, expired and stale entries are dropped, and if
//! that frees nothing the cache starts empty again.

use std::collections::HashMap;
use std::sync::Mutex;

use modt::protocol::Caller;
use sha2::{Digest, Sha256};

/// Most verified tokens remembered at once.
pub(crate) const MAX_CACHED_TOKENS: usize = 4096;

/// The token cache (shared by every request).
#[derive(Default)]
pub(crate) struct TokenCache {
    entries: Mutex<HashMap<[u8; 32], Entry>>,
}

struct Entry {
    caller: Caller,
    /// The token's `exp` (seconds since the Unix epoch).
    exp: u64,
    /// The key set's generation it was verified under.
    generation: u64,
}

impl std::fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let len = self.entries.lock().map(|e| e.len()).unwrap_or_default();
        f.debug_struct("TokenCache").field("entries", &len).finish()
    }
}

impl TokenCache {
    /// The caller of `token` if it was verified under key-set `generation` and its `exp` is
    /// still ahead of `now` (seconds since the Unix epoch).
    pub(crate) fn get(&self, token: &str, generation: u64, now: u64) -> Option<Caller> {
        let key = digest(token);
        let entries = self.entries.lock().ok()?;
        let entry = entries.get(&key)?;
        (entry.generation == generation && now < entry.exp).then(|| entry.caller.clone())
    }

    /// Remembers that `token`, valid until `exp`, named `caller` under key-set `generation`.
    pub(crate) fn insert(&self, token: &str, caller: Caller, exp: u64, generation: u64, now: u64) {
        if now >= exp {
            return;
        }
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        if entries.len() >= MAX_CACHED_TOKENS {
            entries.retain(|_, e| e.generation == generation && now < e.exp);
            if entries.len() >= MAX_CACHED_TOKENS {
                entries.clear();
            }
        }
        let entry = Entry {
            caller,
            exp,
            generation,
        };
        entries.insert(digest(token), entry);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.lock().map(|e| e.len()).unwrap_or_default()
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use modt::protocol::Role;

    use super::*;

    fn ann() -> Caller {
        Caller {
            user_id: "u-ann".into(),
            username: "ann".into(),
            role: Role::User,
            tenant: None,
        }
    }

    #[test]
    fn a_hit_needs_the_same_token_key_set_and_time_before_exp() {
        let cache = TokenCache::default();
        cache.insert("tok-a", ann(), 1_000, 7, 900);
        assert_eq!(cache.get("tok-a", 7, 999), Some(ann()));
        assert_eq!(cache.get("tok-b", 7, 999), None, "another token");
        assert_eq!(cache.get("tok-a", 8, 999), None, "the key set changed");
        assert_eq!(
            cache.get("tok-a", 7, 1_000),
            None,
            "at exp the token is checked again"
        );
    }

    #[test]
    fn an_expired_token_is_not_remembered() {
        let cache = TokenCache::default();
        cache.insert("tok-a", ann(), 1_000, 1, 1_000);
        assert_eq!(cache.len(), 0);
    }

    #[test]
    fn a_full_cache_drops_stale_entries_first_and_never_grows_past_its_bound() {
        let cache = TokenCache::default();
        for i in 0..MAX_CACHED_TOKENS {
            // Half verified under an old key set.
            let generation = if i % 2 == 0 { 1 } else { 2 };
            cache.insert(&format!("tok-{i}"), ann(), 1_000, generation, 10);
        }
        assert_eq!(cache.len(), MAX_CACHED_TOKENS);
        cache.insert("fresh", ann(), 1_000, 2, 10);
        assert_eq!(
            cache.len(),
            MAX_CACHED_TOKENS / 2 + 1,
            "the stale half went"
        );
        assert_eq!(
            cache.get("tok-1", 2, 10),
            Some(ann()),
            "current entries stay"
        );
        for i in 0..MAX_CACHED_TOKENS {
            cache.insert(&format!("more-{i}"), ann(), 1_000, 2, 10);
        }
        assert!(cache.len() <= MAX_CACHED_TOKENS);
        let last = format!("more-{}", MAX_CACHED_TOKENS - 1);
        assert_eq!(cache.get(&last, 2, 10), Some(ann()), "the newest is kept");
    }

    #[test]
    fn debug_shows_no_token_or_caller() {
        let cache = TokenCache::default();
        cache.insert("secret-token", ann(), 1_000, 1, 10);
        let shown = format!("{cache:?}");
        assert!(
            !shown.contains("secret") && !shown.contains("ann"),
            "{shown}"
        );
    }
}
