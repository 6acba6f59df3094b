//! What the identify unit's MQTT handlers and pages share: [`Identity`] (the store, the
//! settings, the login handshakes, the login throttle and the token signing keys) and the
//! unit's [`Clock`].

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::config::IdentifyConfig;
use crate::handshake::Handshakes;
use crate::sessions::SessionKey;
use crate::store::{IdentityStore, StoreError, User};
use crate::throttle::Throttle;
use crate::tokens::KeyRing;

/// The unit's clock, in Unix time: the system clock, plus however far tokio's clock was
/// advanced while paused. Outside paused tests it is the system clock, so replicas sharing a
/// database agree; under `tokio::time::pause` tests move it with `tokio::time::advance`.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    tokio_start: tokio::time::Instant,
    real_start: std::time::Instant,
}

impl Clock {
    /// A clock reading the system clock (and, in tests, the runtime's paused clock).
    pub fn new() -> Clock {
        Clock {
            tokio_start: tokio::time::Instant::now(),
            real_start: std::time::Instant::now(),
        }
    }

    /// Now, in Unix milliseconds.
    pub fn now_ms(&self) -> i64 {
        let nanos = |d: Duration| i128::try_from(d.as_nanos()).unwrap_or(i128::MAX);
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(nanos)
            .unwrap_or(0);
        // Zero unless tokio's clock is paused and was advanced.
        let ahead = nanos(self.tokio_start.elapsed()) - nanos(self.real_start.elapsed());
        let ms = wall.saturating_add(ahead) / 1_000_000;
        i64::try_from(ms).unwrap_or(i64::MAX)
    }

    /// Now, in Unix seconds.
    pub fn now(&self) -> i64 {
        self.now_ms().div_euclid(1000)
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::new()
    }
}

/// The unit's shared parts. Held in an `Arc`.
#[derive(Debug)]
pub struct Identity {
    /// Accounts, sessions, and the records of the throttle and the handshakes.
    pub store: Arc<dyn IdentityStore>,
    /// Settings.
    pub config: IdentifyConfig,
    /// Logins waiting for an app.
    pub handshakes: Handshakes,
    /// Failed-login counters.
    pub throttle: Throttle,
    /// What "now" is for sessions, the throttle, the handshakes and tokens.
    pub clock: Clock,
    /// The access-token signing key and the published JWK Set.
    pub keys: KeyRing,
}

impl Identity {
    /// The shared parts for `store` and `config`.
    pub fn new(store: Arc<dyn IdentityStore>, config: IdentifyConfig) -> Arc<Identity> {
        let clock = Clock::new();
        Arc::new(Identity {
            handshakes: Handshakes::new(store.clone(), config.handshake_timeout, clock),
            throttle: Throttle::new(store.clone(), config.throttle, clock),
            store,
            config,
            clock,
            keys: KeyRing::new(),
        })
    }

    /// Now, in Unix seconds, by the unit's [`Clock`].
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// The user of the live session stored under `key`, now; counts as a use of it.
    pub async fn session_user(&self, key: &SessionKey) -> Result<Option<User>, StoreError> {
        self.store
            .session_user(key, self.now(), self.config.session_idle)
            .await
    }

    /// Deletes the sessions that can no longer be used, now; returns how many.
    pub async fn sweep_sessions(&self) -> Result<usize, StoreError> {
        self.store.sweep(self.now(), self.config.session_idle).await
    }

    /// Deletes the refresh tokens expired now; returns how many.
    pub async fn sweep_refresh_tokens(&self) -> Result<usize, StoreError> {
        self.store.sweep_refresh_tokens(self.now()).await
    }

    /// Sweeps ended sessions every `every` until `shutdown` fires (the unit's sweeper).
    pub async fn run_sweeper(&self, every: Duration, shutdown: CancellationToken) {
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(every) => {}
            }
            match self.sweep_sessions().await {
                Ok(n) if n > 0 => info!(sessions = n, "deleted ended sessions"),
                Ok(_) => {}
                Err(e) => warn!(error = %e, "could not sweep sessions"),
            }
            match self.sweep_refresh_tokens().await {
                Ok(n) if n > 0 => info!(tokens = n, "deleted expired refresh tokens"),
                Ok(_) => {}
                Err(e) => warn!(error = %e, "could not sweep refresh tokens"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use tokio::time::advance;

    use super::*;
    use crate::accounts::Role;
    use crate::store::{NewSession, SqliteIdentityStore};

    /// Sessions in a SQLite file of `dir`, the unit's shared parts on the runtime's clock.
    fn identity(dir: &tempfile::TempDir, idle: Duration) -> Arc<Identity> {
        let store = SqliteIdentityStore::open(&dir.path().join("id.db")).unwrap();
        let config = IdentifyConfig {
            session_idle: idle,
            ..Default::default()
        };
        Identity::new(Arc::new(store), config)
    }

    /// Sessions stored in the file, used or not.
    fn stored_sessions(dir: &tempfile::TempDir) -> i64 {
        rusqlite::Connection::open(dir.path().join("id.db"))
            .unwrap()
            .query_row("SELECT count(*) FROM sessions", [], |r| r.get(0))
            .unwrap()
    }

    #[tokio::test(start_paused = true)]
    async fn the_clock_follows_paused_time() {
        let clock = Clock::new();
        let start = clock.now_ms();
        advance(Duration::from_secs(3600)).await;
        let moved = clock.now_ms() - start;
        assert!((3_600_000..3_600_050).contains(&moved), "{moved}");
    }

    #[tokio::test(start_paused = true)]
    async fn sessions_go_idle_and_the_sweeper_deletes_them() {
        let dir = tempfile::tempdir().unwrap();
        let id = identity(&dir, Duration::from_secs(100));
        let user = id.store.create_user("ana", "h", Role::User).await.unwrap();
        let key = SessionKey::of("sid");
        let now = id.now();
        let session = NewSession {
            key: key.clone(),
            user_id: user.user_id,
            now,
            expires_at: now + 3600,
        };
        id.store.create_session(session).await.unwrap();
        assert_eq!(
            id.session_user(&key).await.unwrap().unwrap().username,
            "ana"
        );

        advance(Duration::from_secs(101)).await;
        assert_eq!(id.session_user(&key).await.unwrap(), None, "idle");
        assert_eq!(stored_sessions(&dir), 1, "kept until swept");

        let shutdown = CancellationToken::new();
        let sweeper = {
            let (id, shutdown) = (id.clone(), shutdown.clone());
            tokio::spawn(async move { id.run_sweeper(Duration::from_secs(600), shutdown).await })
        };
        tokio::task::yield_now().await; // the sweeper starts its timer
        advance(Duration::from_secs(599)).await;
        assert_eq!(stored_sessions(&dir), 1, "not before its time");
        advance(Duration::from_secs(1)).await;
        // The sweep runs on a blocking thread; paused time does not move while it does.
        for _ in 0..1000 {
            if stored_sessions(&dir) == 0 {
                break;
            }
            tokio::task::yield_now().await;
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        assert_eq!(stored_sessions(&dir), 0, "swept");
        shutdown.cancel();
        sweeper.await.unwrap();
    }
}
