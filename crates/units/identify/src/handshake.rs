//! The login → app-ready → redirect handshake: which app answered which login.
//!
//! A login [`begin`](Handshakes::begin)s an entry under the session's key and gets a fresh
//! **handshake id**, which `modt/auth/success` carries in its `session_id` field instead of the
//! session id: every app account reads that topic, and the session id is the user's
//! credential. Apps echo it in `modt/app/ready`, as the original apps echo what they got, so
//! they keep working; the first answer for a handshake id fills the entry
//! ([`ready`](Handshakes::ready)); the waiting page [`watch`](Handshakes::watch)es it (by the
//! session, from its cookie) until an app is known or the deadline passes.
//!
//! The entries are records in the [`IdentityStore`] (bounded: kept a few minutes, the oldest
//! go first when full), so replicas sharing a database see each other's. Waking a waiting
//! page is local: the replica that records an answer wakes its own watchers at once; a page
//! waiting on another replica finds the answer in the store when it next loads `/waiting`.
//! Wake-ups go through the web toolkit's one push mechanism, a bounded
//! [`Fanout`](modt_web::push::Fanout): each waiting page is a client filtered on its session.

use std::sync::Arc;
use std::time::Duration;

use modt_web::push::{Delivery, Fanout, FanoutConfig, Receiver};
use serde::Serialize;
use tokio::time::Instant;
use tracing::warn;

use crate::core::Clock;
use crate::sessions::SessionKey;
use crate::store::{IdentityStore, NewHandshake};

/// Most logins awaiting or holding an answer at once.
pub const MAX_HANDSHAKES: usize = 10_000;
/// How long an entry is kept after its deadline (so a slow browser still finds its app).
const KEEP_AFTER_DEADLINE: Duration = Duration::from_secs(300);

/// The app that accepted a login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReadyApp {
    /// The app's name, shown to the user.
    pub app_name: String,
    /// Where the browser goes.
    pub redirect_url: String,
}

/// What the waiting page watches: the answer already recorded, else the wake-ups to come.
#[derive(Debug)]
pub struct Watch {
    /// The app, if one had answered when the watch began.
    pub answered: Option<ReadyApp>,
    /// Wake-ups for this session (`None` when [`MAX_HANDSHAKES`] pages already wait here:
    /// such a page is not woken, times out, and reads the store when reloaded).
    answers: Option<Receiver<Answer>>,
    /// When to stop waiting.
    pub deadline: Instant,
}

impl Watch {
    /// The app that accepted the login: at once if known, else when one answers; `None` when
    /// the deadline passes, the login is forgotten (logout) or the unit stops.
    pub async fn ready(self) -> Option<ReadyApp> {
        if self.answered.is_some() {
            return self.answered;
        }
        let Some(mut answers) = self.answers else {
            tokio::time::sleep_until(self.deadline).await;
            return None;
        };
        loop {
            tokio::select! {
                next = answers.recv() => match next {
                    Some(Delivery::Item(answer)) => return answer.app,
                    // Another session's answers filled the queue: only this one's count.
                    Some(Delivery::Skipped(_)) => continue,
                    None => return None,
                },
                _ = tokio::time::sleep_until(self.deadline) => return None,
            }
        }
    }
}

/// A wake-up: session `key`'s login was answered by `app`, or forgotten (`None`).
#[derive(Debug, Clone)]
struct Answer {
    key: SessionKey,
    app: Option<ReadyApp>,
}

/// Logins awaiting an app: records in the store, wake-ups in this process.
#[derive(Debug)]
pub struct Handshakes {
    store: Arc<dyn IdentityStore>,
    timeout: Duration,
    clock: Clock,
    max: usize,
    /// The pages waiting here, each filtered on its session.
    answers: Fanout<Answer>,
}

/// Wake-ups queued per waiting page: one answer, or a logout, is all a page waits for.
const PER_PAGE: usize = 2;

fn answers(max: usize) -> Fanout<Answer> {
    Fanout::new(FanoutConfig {
        per_client: PER_PAGE,
        max_clients: max,
    })
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl Handshakes {
    /// Handshakes recorded in `store`, whose logins wait `timeout` for an app.
    pub fn new(store: Arc<dyn IdentityStore>, timeout: Duration, clock: Clock) -> Handshakes {
        Handshakes {
            store,
            timeout,
            clock,
            max: MAX_HANDSHAKES,
            answers: answers(MAX_HANDSHAKES),
        }
    }

    /// The same with another bound on entries (tests of the bound).
    pub fn with_max(mut self, max: usize) -> Handshakes {
        self.max = max;
        self.answers = answers(max);
        self
    }

    /// Starts waiting for an app to accept the session `key`; returns the handshake id to
    /// announce (a new one each time, replacing the session's previous one). `None` if the
    /// system's random source or the store fails (logged; the waiting page then lists apps).
    pub async fn begin(&self, key: SessionKey) -> Option<String> {
        let id = crate::sessions::new_session_id().ok()?;
        let now_ms = self.clock.now_ms();
        let record = NewHandshake {
            key: key.clone(),
            handshake_id: id.clone(),
            now_ms,
            deadline_ms: now_ms.saturating_add(millis(self.timeout)),
            keep_ms: millis(KEEP_AFTER_DEADLINE),
            max: self.max,
        };
        if let Err(e) = self.store.begin_handshake(record).await {
            warn!(error = %e, "could not record a login handshake");
            return None;
        }
        Some(id)
    }

    /// Records that `app` accepted the login announced with `handshake_id`; the first app
    /// wins. Returns whether this was the answer the login was waiting for. A session id, or
    /// anything else but a live handshake id, is ignored; a store failure is logged.
    pub async fn ready(&self, handshake_id: &str, app: ReadyApp) -> bool {
        let answered = self
            .store
            .handshake_ready(handshake_id, &app.app_name, &app.redirect_url)
            .await;
        match answered {
            Ok(Some(key)) => {
                self.wake(&key, app);
                true
            }
            Ok(None) => false,
            Err(e) => {
                warn!(error = %e, "could not record an app's answer to a login");
                false
            }
        }
    }

    /// Shows `app` to this process's pages waiting on `key`.
    fn wake(&self, key: &SessionKey, app: ReadyApp) {
        self.answers.send(&Answer {
            key: key.clone(),
            app: Some(app),
        });
    }

    /// The entry for session `key`, if its login is recent. A store failure is logged and
    /// reads as no entry.
    pub async fn watch(&self, key: &SessionKey) -> Option<Watch> {
        // Subscribed before the store is read: an answer recorded in between is seen either
        // in the record or as a wake-up.
        let watched = key.clone();
        let answers = self.answers.subscribe(move |a| a.key == watched).ok();
        let record = match self.store.handshake(key).await {
            Ok(record) => record?,
            Err(e) => {
                warn!(error = %e, "could not read a login handshake");
                return None;
            }
        };
        let left = record
            .deadline_ms
            .saturating_sub(self.clock.now_ms())
            .max(0);
        let left = Duration::from_millis(u64::try_from(left).unwrap_or(0));
        Some(Watch {
            answered: record.app,
            answers,
            deadline: Instant::now() + left,
        })
    }

    /// Forgets session `key` (at logout): its watchers here stop waiting. A store failure is
    /// logged.
    pub async fn forget(&self, key: &SessionKey) {
        if let Err(e) = self.store.forget_handshake(key).await {
            warn!(error = %e, "could not forget a login handshake");
        }
        self.answers.send(&Answer {
            key: key.clone(),
            app: None,
        });
    }

    /// Entries held (for tests; 0 when the store fails).
    pub async fn len(&self) -> usize {
        self.store.handshakes_kept().await.unwrap_or(0)
    }

    /// Whether no entries are held.
    pub async fn is_empty(&self) -> bool {
        self.len().await == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::SqliteIdentityStore;

    fn app(name: &str) -> ReadyApp {
        ReadyApp {
            app_name: name.into(),
            redirect_url: format!("http://{name}/"),
        }
    }

    fn handshakes() -> (tempfile::TempDir, Handshakes) {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteIdentityStore::open(&dir.path().join("id.db")).unwrap();
        let h = Handshakes::new(Arc::new(store), Duration::from_secs(10), Clock::new());
        (dir, h)
    }

    #[tokio::test(start_paused = true)]
    async fn first_app_wins_and_watchers_see_it() {
        let (_d, h) = handshakes();
        let key = SessionKey::of("s1");
        let id = h.begin(key.clone()).await.unwrap();
        assert_eq!(id.len(), 64);
        let w = h.watch(&key).await.unwrap();
        let left = w.deadline - Instant::now();
        assert!(left > Duration::from_millis(9_990) && left <= Duration::from_secs(10));
        assert!(
            !h.ready("s1", app("by session id")).await,
            "the session id is not the handshake id"
        );
        assert!(h.ready(&id, app("one")).await);
        assert!(!h.ready(&id, app("two")).await);
        assert_eq!(
            w.ready().await,
            Some(app("one")),
            "woken with the first app"
        );
        // A watcher that comes later reads the answer from the store.
        let later = h.watch(&key).await.unwrap();
        assert_eq!(later.answered, Some(app("one")));
    }

    #[tokio::test(start_paused = true)]
    async fn unknown_sessions_are_ignored_and_the_table_is_bounded() {
        let (_d, h) = handshakes();
        let h = h.with_max(20);
        assert!(!h.ready("nobody", app("x")).await);
        let mut ids = Vec::new();
        for i in 0..25 {
            ids.push(h.begin(SessionKey::of(&i.to_string())).await.unwrap());
            tokio::time::advance(Duration::from_millis(5)).await;
        }
        assert_eq!(h.len().await, 20);
        assert!(
            !h.ready(&ids[0], app("x")).await,
            "an evicted login's id is gone"
        );
        assert!(h.ready(&ids[24], app("x")).await);
    }

    #[tokio::test(start_paused = true)]
    async fn entries_are_kept_a_while_after_their_deadline() {
        let (_d, h) = handshakes();
        let old = SessionKey::of("old");
        h.begin(old.clone()).await.unwrap();
        tokio::time::advance(Duration::from_secs(10) + KEEP_AFTER_DEADLINE).await;
        let w = h.watch(&old).await.unwrap();
        assert!(
            w.deadline <= Instant::now(),
            "past its deadline, still found"
        );
        h.begin(SessionKey::of("new")).await.unwrap();
        assert!(h.watch(&old).await.is_none(), "dropped by the next login");
        assert_eq!(h.len().await, 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_new_handshake_replaces_the_old_id() {
        let (_d, h) = handshakes();
        let key = SessionKey::of("s1");
        let old = h.begin(key.clone()).await.unwrap();
        let new = h.begin(key.clone()).await.unwrap();
        assert_ne!(old, new);
        assert!(!h.ready(&old, app("late")).await);
        assert!(h.ready(&new, app("now")).await);
        let w = h.watch(&key).await.unwrap();
        assert_eq!(w.answered, Some(app("now")));
        let waiting = h.watch(&SessionKey::of("s2")).await;
        assert!(waiting.is_none(), "no login for s2");
        h.forget(&key).await;
        assert!(h.is_empty().await);
    }

    #[tokio::test(start_paused = true)]
    async fn a_forgotten_login_stops_its_watchers_before_the_deadline() {
        let (_d, h) = handshakes();
        let key = SessionKey::of("s1");
        h.begin(key.clone()).await.unwrap();
        let w = h.watch(&key).await.unwrap();
        let deadline = w.deadline;
        let waiting = tokio::spawn(w.ready());
        tokio::task::yield_now().await;
        h.forget(&key).await;
        assert_eq!(waiting.await.unwrap(), None);
        assert!(
            Instant::now() < deadline,
            "stopped by the logout, not the deadline"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn another_sessions_answer_does_not_wake_a_page() {
        let (_d, h) = handshakes();
        let (mine, theirs) = (SessionKey::of("mine"), SessionKey::of("theirs"));
        h.begin(mine.clone()).await.unwrap();
        let their_id = h.begin(theirs.clone()).await.unwrap();
        let w = h.watch(&mine).await.unwrap();
        let deadline = w.deadline;
        let waiting = tokio::spawn(w.ready());
        tokio::task::yield_now().await;
        assert!(h.ready(&their_id, app("theirs")).await);
        assert_eq!(waiting.await.unwrap(), None, "timed out, not woken");
        assert!(Instant::now() >= deadline);
    }
}
