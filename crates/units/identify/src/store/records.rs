//! The login throttle's and the login handshakes' records, and the rules every backend
//! applies to them, so that SQLite and PostgreSQL count and evict alike.
//!
//! A throttle key (`u:alice`, `a:1.2.3.4`, …, see `crate::throttle`) holds the times of its
//! recent events, oldest first. A backend loads the rows of the keys a
//! [`ThrottleTake`] names (locked against concurrent takers), lets
//! [`ThrottleTake::apply`] decide, and writes the rows back, in one transaction.

use std::collections::HashMap;
use std::time::Duration;

use crate::handshake::ReadyApp;
use crate::sessions::SessionKey;

/// One check-and-count of throttle events ([`IdentityStore::throttle_take`](super::IdentityStore::throttle_take)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThrottleTake {
    /// Each key with the events it may hold within the window.
    pub limits: Vec<(String, usize)>,
    /// How far back events count.
    pub window: Duration,
    /// Now, in Unix milliseconds.
    pub now_ms: i64,
    /// At this many tracked keys, keys with no event in the window are dropped first, then
    /// the stalest tenth.
    pub max_keys: usize,
}

impl ThrottleTake {
    /// The window in milliseconds.
    pub fn window_ms(&self) -> i64 {
        i64::try_from(self.window.as_millis()).unwrap_or(i64::MAX)
    }

    /// The keys, in a fixed order (sorted), for locking and loading.
    pub fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self.limits.iter().map(|(k, _)| k.clone()).collect();
        keys.sort();
        keys.dedup();
        keys
    }

    /// Checks the loaded `rows` (every key of [`keys`](Self::keys) that has a row): prunes
    /// the events that left the window, then refuses with the wait (at least a second) if a
    /// key holds its limit. Counts nothing.
    pub fn check(&self, rows: &mut HashMap<String, Vec<i64>>) -> Result<(), Duration> {
        let window = self.window_ms();
        let mut wait_ms: i64 = 0;
        for (key, limit) in &self.limits {
            if let Some(times) = rows.get_mut(key) {
                prune(times, self.now_ms, window);
                if times.len() >= *limit {
                    if let Some(oldest) = times.first() {
                        wait_ms = wait_ms.max(window - (self.now_ms - oldest));
                    }
                }
            }
        }
        if wait_ms > 0 {
            let wait = Duration::from_millis(u64::try_from(wait_ms).unwrap_or(u64::MAX));
            return Err(wait.max(Duration::from_secs(1)));
        }
        Ok(())
    }

    /// Counts `now_ms` under every key (pruning first); every key of `rows` is then to be
    /// written back.
    pub fn count(&self, rows: &mut HashMap<String, Vec<i64>>) {
        let window = self.window_ms();
        for (key, _) in &self.limits {
            let times = rows.entry(key.clone()).or_default();
            prune(times, self.now_ms, window);
            times.push(self.now_ms);
        }
    }

    /// [`check`](Self::check), then [`count`](Self::count) if it passed.
    pub fn apply(&self, rows: &mut HashMap<String, Vec<i64>>) -> Result<(), Duration> {
        self.check(rows)?;
        self.count(rows);
        Ok(())
    }

    /// Whether a key last counted at `last_ms` has nothing left in the window.
    pub fn expired(&self, last_ms: i64) -> bool {
        self.now_ms.saturating_sub(last_ms) >= self.window_ms()
    }

    /// How many of the stalest keys go when the table is still full of live keys.
    pub fn evict_count(&self) -> usize {
        (self.max_keys / 10).max(1)
    }
}

/// Drops the events that left the window.
fn prune(times: &mut Vec<i64>, now_ms: i64, window_ms: i64) {
    let gone = times
        .iter()
        .take_while(|t| now_ms.saturating_sub(**t) >= window_ms)
        .count();
    times.drain(..gone);
}

/// Takes the most recent event at `at_ms` off `times`; returns whether one was there.
pub fn uncount(times: &mut Vec<i64>, at_ms: i64) -> bool {
    match times.iter().rposition(|t| *t == at_ms) {
        Some(i) => {
            times.remove(i);
            true
        }
        None => false,
    }
}

/// Event times as SQLite keeps them: decimal milliseconds joined by commas.
pub fn encode_times(times: &[i64]) -> String {
    times
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// Reads [`encode_times`]' text; a part that is not a number is dropped.
pub fn decode_times(text: &str) -> Vec<i64> {
    text.split(',').filter_map(|t| t.parse().ok()).collect()
}

/// A login's handshake to record ([`IdentityStore::begin_handshake`](super::IdentityStore::begin_handshake)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewHandshake {
    /// The session that logged in.
    pub key: SessionKey,
    /// The id announced on `modt/auth/success`.
    pub handshake_id: String,
    /// Now, in Unix milliseconds: entries with `deadline_ms + keep_ms <= now_ms` are dropped.
    pub now_ms: i64,
    /// When the waiting page stops waiting (Unix milliseconds).
    pub deadline_ms: i64,
    /// How long an entry is kept after its deadline.
    pub keep_ms: i64,
    /// Most entries kept.
    pub max: usize,
}

/// A recorded handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandshakeRecord {
    /// The id announced on `modt/auth/success`.
    pub handshake_id: String,
    /// When the waiting page stops waiting (Unix milliseconds).
    pub deadline_ms: i64,
    /// The first app that accepted the login.
    pub app: Option<ReadyApp>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn take(now_ms: i64) -> ThrottleTake {
        ThrottleTake {
            limits: vec![("b".into(), 2), ("a".into(), 3)],
            window: Duration::from_secs(60),
            now_ms,
            max_keys: 100,
        }
    }

    #[test]
    fn counts_until_a_limit_then_says_how_long_to_wait() {
        let mut rows = HashMap::new();
        assert_eq!(take(1_000).apply(&mut rows), Ok(()));
        assert_eq!(take(11_000).apply(&mut rows), Ok(()));
        assert_eq!(rows["a"], vec![1_000, 11_000]);
        assert_eq!(take(12_000).apply(&mut rows), Err(Duration::from_secs(49)));
        assert_eq!(rows["b"].len(), 2, "a refusal counts nothing");
        assert_eq!(take(61_000).apply(&mut rows), Ok(()), "the oldest left");
        assert_eq!(rows["b"], vec![11_000, 61_000]);
        assert_eq!(take(0).keys(), vec!["a".to_string(), "b".to_string()]);
    }

    #[test]
    fn times_round_trip_and_uncount_takes_the_latest_match() {
        let mut t = decode_times(&encode_times(&[5, 7, 5]));
        assert_eq!(t, vec![5, 7, 5]);
        assert!(uncount(&mut t, 5));
        assert_eq!(t, vec![5, 7]);
        assert!(!uncount(&mut t, 9));
        assert!(decode_times("").is_empty());
    }
}
