//! Failed-login limits, per user name and per client address, and the registration limit
//! per client address (every registration costs a password hash, so it is bounded too).
//!
//! Each key keeps the times of its recent failures within a sliding window. A login is
//! refused before any password is checked when it is over one of three limits, so guessing
//! costs the attacker time and costs us no hashing:
//!
//! - per user name **and** address (`per_user`, 5): guesses from one place stop there, and a
//!   stranger's guesses do not lock the user out on their own devices;
//! - per user name from anywhere (`per_user` × [`GLOBAL_USER_FACTOR`], 50): the slower backoff
//!   for guesses spread over many addresses;
//! - per address, whatever the user name (`per_address`, 20).
//!
//! Any user name string is tracked, existing or not, so the limit reveals nothing.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The per-user limit from all addresses together is this many times the per-(user, address)
/// one.
pub const GLOBAL_USER_FACTOR: usize = 10;

/// At most this many keys are tracked; beyond it, the stalest are forgotten first.
pub const MAX_TRACKED_KEYS: usize = 100_000;

/// The limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleConfig {
    /// How far back failures count.
    pub window: Duration,
    /// Failures allowed per user name within the window.
    pub per_user: usize,
    /// Failures allowed per client address within the window.
    pub per_address: usize,
    /// Registrations (accepted or not, once they reach password hashing) allowed per client
    /// address within the window.
    pub registrations_per_address: usize,
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        ThrottleConfig {
            window: Duration::from_secs(15 * 60),
            per_user: 5,
            per_address: 20,
            registrations_per_address: 10,
        }
    }
}

/// Failure and registration counters. Cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct Throttle {
    config: ThrottleConfig,
    /// Per key (`u:` user name, `a:` address for failed logins, `r:` address for
    /// registrations), the times counted within the window.
    recent: Mutex<Counts>,
}

/// Per key, the times counted within the window.
type Counts = HashMap<String, VecDeque<Instant>>;

/// A login attempt counted by [`Throttle::begin_login`], to settle once its outcome is known.
#[derive(Debug)]
#[must_use = "an attempt counts as a failure unless settled"]
pub struct Attempt {
    at: Instant,
}

/// Takes one count at `at` off `key` (the most recent such one).
fn uncount(map: &mut Counts, key: &str, at: Instant) {
    if let Some(times) = map.get_mut(key) {
        if let Some(i) = times.iter().rposition(|t| *t == at) {
            times.remove(i);
        }
        if times.is_empty() {
            map.remove(key);
        }
    }
}

fn user_key(username: &str) -> String {
    format!("u:{}", username.to_ascii_lowercase())
}

fn user_address_key(username: &str, address: &str) -> String {
    format!("ua:{}\u{0}{address}", username.to_ascii_lowercase())
}

fn address_key(address: &str) -> String {
    format!("a:{address}")
}

fn registration_key(address: &str) -> String {
    format!("r:{address}")
}

impl Throttle {
    /// Counters with `config`'s limits.
    pub fn new(config: ThrottleConfig) -> Throttle {
        Throttle {
            config,
            recent: Mutex::new(HashMap::new()),
        }
    }

    /// The three limits a login from `address` for `username` is held to.
    fn login_limits(&self, username: &str, address: &str) -> [(String, usize); 3] {
        let per_user = self.config.per_user;
        [
            (user_address_key(username, address), per_user),
            (
                user_key(username),
                per_user.saturating_mul(GLOBAL_USER_FACTOR),
            ),
            (address_key(address), self.config.per_address),
        ]
    }

    fn login_keys(username: &str, address: &str) -> [String; 3] {
        [
            user_address_key(username, address),
            user_key(username),
            address_key(address),
        ]
    }

    fn over_in(
        &self,
        map: &mut Counts,
        limits: &[(String, usize)],
        now: Instant,
    ) -> Result<(), Duration> {
        let mut wait = Duration::ZERO;
        for (key, limit) in limits {
            if let Some(times) = map.get_mut(key) {
                prune(times, now, self.config.window);
                if times.len() >= *limit {
                    if let Some(oldest) = times.front() {
                        wait = wait.max(self.config.window.saturating_sub(now - *oldest));
                    }
                }
            }
        }
        if wait.is_zero() {
            Ok(())
        } else {
            Err(wait.max(Duration::from_secs(1)))
        }
    }

    /// Checks and counts a login attempt in one step, before its password is checked: of
    /// any number of concurrent attempts, only as many as the limits allow get through (a
    /// separate check and count let 60 concurrent guesses pass a limit of 5). An attempt
    /// counts as a failure unless [`login_succeeded`](Self::login_succeeded) or
    /// [`login_withdrawn`](Self::login_withdrawn) settles it.
    pub fn begin_login(
        &self,
        username: &str,
        address: &str,
        now: Instant,
    ) -> Result<Attempt, Duration> {
        let Ok(mut map) = self.recent.lock() else {
            return Ok(Attempt { at: now });
        };
        self.over_in(&mut map, &self.login_limits(username, address), now)?;
        self.record_in(&mut map, Self::login_keys(username, address), now);
        Ok(Attempt { at: now })
    }

    /// The attempt logged in: the user name's failures are forgotten, and the attempt no
    /// longer counts against the address.
    pub fn login_succeeded(&self, username: &str, address: &str, attempt: Attempt) {
        if let Ok(mut map) = self.recent.lock() {
            map.remove(&user_address_key(username, address));
            map.remove(&user_key(username));
            uncount(&mut map, &address_key(address), attempt.at);
        }
    }

    /// The attempt was never judged (no capacity to check the password): it does not count.
    pub fn login_withdrawn(&self, username: &str, address: &str, attempt: Attempt) {
        if let Ok(mut map) = self.recent.lock() {
            for key in Self::login_keys(username, address) {
                uncount(&mut map, &key, attempt.at);
            }
        }
    }

    /// Checks and counts a registration from `address` in one step (see
    /// [`begin_login`](Self::begin_login) for why one step).
    pub fn begin_registration(&self, address: &str, now: Instant) -> Result<(), Duration> {
        let Ok(mut map) = self.recent.lock() else {
            return Ok(());
        };
        let key = registration_key(address);
        self.over_in(
            &mut map,
            &[(key.clone(), self.config.registrations_per_address)],
            now,
        )?;
        self.record_in(&mut map, [key], now);
        Ok(())
    }

    fn record_in<const N: usize>(&self, map: &mut Counts, keys: [String; N], now: Instant) {
        if map.len() >= MAX_TRACKED_KEYS {
            let window = self.config.window;
            map.retain(|_, times| {
                prune(times, now, window);
                !times.is_empty()
            });
            if map.len() >= MAX_TRACKED_KEYS {
                // Still full of live keys: forget the stalest tenth.
                let mut stalest: Vec<(Instant, String)> = map
                    .iter()
                    .filter_map(|(k, t)| t.back().map(|last| (*last, k.clone())))
                    .collect();
                stalest.sort();
                for (_, k) in stalest.into_iter().take(MAX_TRACKED_KEYS / 10) {
                    map.remove(&k);
                }
            }
        }
        for key in keys {
            let times = map.entry(key).or_default();
            prune(times, now, self.config.window);
            times.push_back(now);
        }
    }

    /// How many keys are tracked (for tests and metrics).
    pub fn tracked(&self) -> usize {
        self.recent.lock().map(|m| m.len()).unwrap_or(0)
    }
}

fn prune(times: &mut VecDeque<Instant>, now: Instant, window: Duration) {
    while times
        .front()
        .is_some_and(|t| now.duration_since(*t) >= window)
    {
        times.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> ThrottleConfig {
        ThrottleConfig {
            window: Duration::from_secs(60),
            per_user: 3,
            per_address: 5,
            registrations_per_address: 2,
        }
    }

    /// A failed attempt: begun and never settled.
    fn fail(t: &Throttle, user: &str, address: &str, now: Instant) {
        let _failed = t.begin_login(user, address, now).unwrap();
    }

    #[test]
    fn locks_a_user_name_on_one_address_and_reopens_after_the_window() {
        let t = Throttle::new(config());
        let now = Instant::now();
        for _ in 0..3 {
            fail(&t, "Alice", "1.1.1.1", now);
        }
        let wait = t.begin_login("alice", "1.1.1.1", now).unwrap_err();
        assert!(
            wait <= Duration::from_secs(60) && wait > Duration::from_secs(50),
            "{wait:?}"
        );
        assert!(
            t.begin_login("alice", "2.2.2.2", now).is_ok(),
            "the user on another device is not locked out"
        );
        assert!(
            t.begin_login("bob", "3.3.3.3", now).is_ok(),
            "other users are fine"
        );
        assert!(t
            .begin_login("alice", "1.1.1.1", now + Duration::from_secs(61))
            .is_ok());
    }

    #[test]
    fn guesses_spread_over_many_addresses_hit_the_slower_global_limit() {
        let t = Throttle::new(config());
        let now = Instant::now();
        for i in 0..3 * GLOBAL_USER_FACTOR {
            fail(&t, "alice", &format!("10.0.{}.{}", i / 250, i % 250), now);
        }
        assert!(t.begin_login("alice", "9.9.9.9", now).is_err());
        assert!(t.begin_login("bob", "9.9.9.9", now).is_ok());
    }

    #[test]
    fn locks_an_address_across_user_names() {
        let t = Throttle::new(config());
        let now = Instant::now();
        for i in 0..5 {
            fail(&t, &format!("user{i}"), "9.9.9.9", now);
        }
        assert!(t.begin_login("someone-new", "9.9.9.9", now).is_err());
        assert!(t.begin_login("someone-new", "8.8.8.8", now).is_ok());
    }

    #[test]
    fn registrations_are_limited_per_address_apart_from_logins() {
        let t = Throttle::new(config());
        let now = Instant::now();
        for _ in 0..2 {
            assert_eq!(t.begin_registration("7.7.7.7", now), Ok(()));
        }
        assert!(t.begin_registration("7.7.7.7", now).is_err());
        assert_eq!(t.begin_registration("6.6.6.6", now), Ok(()));
        assert!(
            t.begin_login("anyone", "7.7.7.7", now).is_ok(),
            "logins unaffected"
        );
        assert_eq!(
            t.begin_registration("7.7.7.7", now + Duration::from_secs(61)),
            Ok(())
        );
    }
}

#[cfg(test)]
mod attempt_tests {
    use super::*;

    fn config() -> ThrottleConfig {
        ThrottleConfig {
            window: Duration::from_secs(60),
            per_user: 5,
            per_address: 20,
            registrations_per_address: 2,
        }
    }

    #[test]
    fn concurrent_attempts_are_counted_before_any_is_judged() {
        let t = Throttle::new(config());
        let now = Instant::now();
        // 60 attempts in flight at once, none judged yet: only 5 get through.
        let started: Vec<_> = (0..60)
            .filter_map(|_| t.begin_login("dana", "1.1.1.1", now).ok())
            .collect();
        assert_eq!(started.len(), 5);
        drop(started);
        assert!(t.begin_login("dana", "1.1.1.1", now).is_err());
    }

    #[test]
    fn settled_attempts_count_as_they_ended() {
        let t = Throttle::new(config());
        let now = Instant::now();
        let a = t.begin_login("erin", "2.2.2.2", now).unwrap();
        t.login_withdrawn("erin", "2.2.2.2", a);
        assert_eq!(t.tracked(), 0, "a withdrawn attempt leaves no trace");
        for _ in 0..4 {
            let _failed = t.begin_login("erin", "2.2.2.2", now).unwrap();
        }
        let ok = t.begin_login("erin", "2.2.2.2", now).unwrap();
        t.login_succeeded("erin", "2.2.2.2", ok);
        assert!(
            t.begin_login("erin", "2.2.2.2", now).is_ok(),
            "success clears the user name"
        );
        // The address keeps the four failures (and the attempt just begun), not the success.
        assert_eq!(t.recent.lock().unwrap()["a:2.2.2.2"].len(), 5);
    }

    #[test]
    fn registrations_are_checked_and_counted_in_one_step() {
        let t = Throttle::new(config());
        let now = Instant::now();
        assert!(t.begin_registration("3.3.3.3", now).is_ok());
        assert!(t.begin_registration("3.3.3.3", now).is_ok());
        assert!(t.begin_registration("3.3.3.3", now).is_err());
    }
}

#[cfg(test)]
mod bound_tests {
    use super::*;

    #[test]
    fn tracked_keys_stay_bounded() {
        let t = Throttle::new(ThrottleConfig::default());
        let now = Instant::now();
        for i in 0..(MAX_TRACKED_KEYS / 3 + 100) {
            let _failed = t.begin_login(&format!("user{i}"), &format!("addr{i}"), now);
        }
        assert!(t.tracked() <= MAX_TRACKED_KEYS, "{}", t.tracked());
    }
}
