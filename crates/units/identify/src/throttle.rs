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
//!
//! This module is the policy (which keys, which limits); the counts live in the
//! [`IdentityStore`], so replicas of the unit sharing a database share them, and each check
//! and count is one atomic step there.

use std::sync::Arc;
use std::time::Duration;

use sha2::{Digest, Sha256};
use tracing::warn;

use crate::core::Clock;
use crate::store::{IdentityStore, StoreError, ThrottleTake};

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

/// Why a login or registration may not go on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ThrottleError {
    /// Over a limit: retry after this long.
    #[error("too many attempts: retry in {} s", .0.as_secs())]
    Wait(Duration),
    /// The counters could not be read or written.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Failure and registration counters, kept in the store.
#[derive(Debug)]
pub struct Throttle {
    config: ThrottleConfig,
    store: Arc<dyn IdentityStore>,
    clock: Clock,
    max_keys: usize,
}

/// A login attempt counted by [`Throttle::begin_login`], to settle once its outcome is known.
#[derive(Debug)]
#[must_use = "an attempt counts as a failure unless settled"]
pub struct Attempt {
    at_ms: i64,
}

/// A counter's key: its kind, then the SHA-256 of its parts (hex). The store never holds a
/// raw user name or address, and any string a client sends makes a valid key on every
/// backend (PostgreSQL text cannot hold a NUL).
fn key(kind: &str, parts: &[&str]) -> String {
    let mut digest = Sha256::new();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            digest.update([0u8]);
        }
        digest.update(part.as_bytes());
    }
    format!("{kind}:{}", hex::encode(digest.finalize()))
}

fn user_key(username: &str) -> String {
    key("u", &[&username.to_ascii_lowercase()])
}

fn user_address_key(username: &str, address: &str) -> String {
    key("ua", &[&username.to_ascii_lowercase(), address])
}

fn address_key(address: &str) -> String {
    key("a", &[address])
}

fn registration_key(address: &str) -> String {
    key("r", &[address])
}

impl Throttle {
    /// Counters with `config`'s limits in `store`, timed by `clock`.
    pub fn new(store: Arc<dyn IdentityStore>, config: ThrottleConfig, clock: Clock) -> Throttle {
        Throttle {
            config,
            store,
            clock,
            max_keys: MAX_TRACKED_KEYS,
        }
    }

    /// The same with another bound on tracked keys (tests of the bound).
    pub fn with_max_keys(mut self, max_keys: usize) -> Throttle {
        self.max_keys = max_keys;
        self
    }

    fn take(&self, limits: Vec<(String, usize)>) -> ThrottleTake {
        ThrottleTake {
            limits,
            window: self.config.window,
            now_ms: self.clock.now_ms(),
            max_keys: self.max_keys,
        }
    }

    /// Checks and counts in one step (in the store), or says how long to wait.
    async fn take_or_wait(&self, take: ThrottleTake) -> Result<(), ThrottleError> {
        self.store
            .throttle_take(take)
            .await?
            .map_err(ThrottleError::Wait)
    }

    /// Checks and counts a login attempt in one step, before its password is checked: of
    /// any number of concurrent attempts, only as many as the limits allow get through (a
    /// separate check and count let 60 concurrent guesses pass a limit of 5). An attempt
    /// counts as a failure unless [`login_succeeded`](Self::login_succeeded) or
    /// [`login_withdrawn`](Self::login_withdrawn) settles it.
    pub async fn begin_login(
        &self,
        username: &str,
        address: &str,
    ) -> Result<Attempt, ThrottleError> {
        let per_user = self.config.per_user;
        let take = self.take(vec![
            (user_address_key(username, address), per_user),
            (
                user_key(username),
                per_user.saturating_mul(GLOBAL_USER_FACTOR),
            ),
            (address_key(address), self.config.per_address),
        ]);
        let at_ms = take.now_ms;
        self.take_or_wait(take).await?;
        Ok(Attempt { at_ms })
    }

    /// The attempt logged in: the user name's failures are forgotten, and the attempt no
    /// longer counts against the address. A store failure is logged (the login stands).
    pub async fn login_succeeded(&self, username: &str, address: &str, attempt: Attempt) {
        let user_keys = vec![user_address_key(username, address), user_key(username)];
        let forgot = self.store.throttle_forget(user_keys).await;
        let uncounted = self
            .store
            .throttle_uncount(vec![address_key(address)], attempt.at_ms)
            .await;
        if let Err(e) = forgot.and(uncounted) {
            warn!(error = %e, "could not clear the failed-login counters after a login");
        }
    }

    /// The attempt was never judged (no capacity to check the password): it does not count.
    /// A store failure is logged (the attempt then counts as a failure).
    pub async fn login_withdrawn(&self, username: &str, address: &str, attempt: Attempt) {
        let keys = vec![
            user_address_key(username, address),
            user_key(username),
            address_key(address),
        ];
        if let Err(e) = self.store.throttle_uncount(keys, attempt.at_ms).await {
            warn!(error = %e, "could not take back a withdrawn login attempt");
        }
    }

    /// Checks and counts a registration from `address` in one step (see
    /// [`begin_login`](Self::begin_login) for why one step).
    pub async fn begin_registration(&self, address: &str) -> Result<(), ThrottleError> {
        let limit = self.config.registrations_per_address;
        self.take_or_wait(self.take(vec![(registration_key(address), limit)]))
            .await
    }

    /// How many keys are tracked (for tests and metrics).
    pub async fn tracked(&self) -> Result<usize, StoreError> {
        self.store.throttle_tracked().await
    }
}

#[cfg(test)]
mod tests {
    use futures::future::join_all;
    use tokio::time::advance;

    use super::*;
    use crate::store::SqliteIdentityStore;

    fn config() -> ThrottleConfig {
        ThrottleConfig {
            window: Duration::from_secs(60),
            per_user: 3,
            per_address: 5,
            registrations_per_address: 2,
        }
    }

    /// Counters in a new SQLite store, on the runtime's (paused) clock.
    fn throttle(config: ThrottleConfig) -> (tempfile::TempDir, Throttle) {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteIdentityStore::open(&dir.path().join("id.db")).unwrap();
        (dir, Throttle::new(Arc::new(store), config, Clock::new()))
    }

    /// A failed attempt: begun and never settled.
    async fn fail(t: &Throttle, user: &str, address: &str) {
        let _failed = t.begin_login(user, address).await.unwrap();
    }

    fn wait_of(r: Result<Attempt, ThrottleError>) -> Duration {
        match r {
            Err(ThrottleError::Wait(w)) => w,
            other => panic!("not a wait: {other:?}"),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn locks_a_user_name_on_one_address_and_reopens_after_the_window() {
        let (_d, t) = throttle(config());
        for _ in 0..3 {
            fail(&t, "Alice", "1.1.1.1").await;
        }
        advance(Duration::from_secs(5)).await;
        let wait = wait_of(t.begin_login("alice", "1.1.1.1").await);
        assert_eq!(wait, Duration::from_secs(55));
        assert!(
            t.begin_login("alice", "2.2.2.2").await.is_ok(),
            "the user on another device is not locked out"
        );
        assert!(
            t.begin_login("bob", "3.3.3.3").await.is_ok(),
            "other users are fine"
        );
        advance(Duration::from_secs(56)).await;
        assert!(t.begin_login("alice", "1.1.1.1").await.is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn guesses_spread_over_many_addresses_hit_the_slower_global_limit() {
        let (_d, t) = throttle(config());
        for i in 0..3 * GLOBAL_USER_FACTOR {
            fail(&t, "alice", &format!("10.0.{}.{}", i / 250, i % 250)).await;
        }
        assert!(t.begin_login("alice", "9.9.9.9").await.is_err());
        assert!(t.begin_login("bob", "9.9.9.9").await.is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn locks_an_address_across_user_names() {
        let (_d, t) = throttle(config());
        for i in 0..5 {
            fail(&t, &format!("user{i}"), "9.9.9.9").await;
        }
        assert!(t.begin_login("someone-new", "9.9.9.9").await.is_err());
        assert!(t.begin_login("someone-new", "8.8.8.8").await.is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn registrations_are_limited_per_address_apart_from_logins() {
        let (_d, t) = throttle(config());
        for _ in 0..2 {
            t.begin_registration("7.7.7.7").await.unwrap();
        }
        assert!(t.begin_registration("7.7.7.7").await.is_err());
        t.begin_registration("6.6.6.6").await.unwrap();
        assert!(
            t.begin_login("anyone", "7.7.7.7").await.is_ok(),
            "logins unaffected"
        );
        advance(Duration::from_secs(61)).await;
        t.begin_registration("7.7.7.7").await.unwrap();
    }

    fn attempts_config() -> ThrottleConfig {
        ThrottleConfig {
            per_user: 5,
            per_address: 20,
            ..config()
        }
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_attempts_are_counted_before_any_is_judged() {
        let (_d, t) = throttle(attempts_config());
        // 60 attempts in flight at once, none judged yet: only 5 get through.
        let tries = join_all((0..60).map(|_| t.begin_login("dana", "1.1.1.1"))).await;
        let started: Vec<Attempt> = tries.into_iter().filter_map(Result::ok).collect();
        assert_eq!(started.len(), 5);
        drop(started);
        assert!(t.begin_login("dana", "1.1.1.1").await.is_err());
    }

    #[tokio::test(start_paused = true)]
    async fn settled_attempts_count_as_they_ended() {
        let (_d, t) = throttle(attempts_config());
        let a = t.begin_login("erin", "2.2.2.2").await.unwrap();
        t.login_withdrawn("erin", "2.2.2.2", a).await;
        assert_eq!(
            t.tracked().await.unwrap(),
            0,
            "a withdrawn attempt leaves no trace"
        );
        for _ in 0..4 {
            fail(&t, "erin", "2.2.2.2").await;
        }
        let ok = t.begin_login("erin", "2.2.2.2").await.unwrap();
        t.login_succeeded("erin", "2.2.2.2", ok).await;
        let _again = t.begin_login("erin", "2.2.2.2").await;
        assert!(_again.is_ok(), "success clears the user name");
        // The address keeps the four failures and the attempt just begun, not the success:
        // a limit of 5 on it is reached, one of 6 is not.
        let address = |limit| t.take(vec![(address_key("2.2.2.2"), limit)]);
        assert!(t.store.throttle_take(address(5)).await.unwrap().is_err());
        assert!(t.store.throttle_take(address(6)).await.unwrap().is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn tracked_keys_stay_bounded() {
        let (_d, t) = throttle(ThrottleConfig::default());
        let t = t.with_max_keys(30);
        for i in 0..20 {
            fail(&t, &format!("user{i}"), &format!("addr{i}")).await;
            advance(Duration::from_millis(10)).await;
        }
        let tracked = t.tracked().await.unwrap();
        assert!(tracked <= 30, "{tracked}");
        assert!(
            t.begin_login("user19", "addr19").await.is_ok(),
            "the newest keys stay"
        );
    }
}
