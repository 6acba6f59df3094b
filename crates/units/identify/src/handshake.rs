//! The login → app-ready → redirect handshake: which app answered which login.
//!
//! A login [`begin`](Handshakes::begin)s an entry under the session's key and gets a fresh
//! **handshake id**, which `modt/auth/success` carries in its `session_id` field instead of the
//! session id: every app account reads that topic, and the session id is the user's
//! credential. Apps echo it in `modt/app/ready`, as the original apps echo what they got, so
//! they keep working; the first answer for a handshake id fills the entry
//! ([`ready`](Handshakes::ready)); the waiting page [`watch`](Handshakes::watch)es it (by the
//! session, from its cookie) until an app is known or the deadline passes. The table is in
//! memory and bounded: entries live a few minutes, and the oldest go first when it is full.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::sessions::SessionKey;

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

struct Entry {
    /// The handshake id announced for this login.
    id: String,
    deadline: Instant,
    ready: watch::Sender<Option<ReadyApp>>,
}

/// What the waiting page watches.
#[derive(Debug)]
pub struct Watch {
    /// Becomes `Some` when an app answers.
    pub ready: watch::Receiver<Option<ReadyApp>>,
    /// When to stop waiting.
    pub deadline: Instant,
}

/// Logins awaiting an app.
#[derive(Debug)]
pub struct Handshakes {
    timeout: Duration,
    entries: Mutex<Table>,
}

/// Entries by session, and the session of each live handshake id.
#[derive(Debug, Default)]
struct Table {
    by_session: HashMap<SessionKey, Entry>,
    by_id: HashMap<String, SessionKey>,
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Entry")
            .field("deadline", &self.deadline)
            .finish()
    }
}

impl Handshakes {
    /// An empty table whose logins wait `timeout` for an app.
    pub fn new(timeout: Duration) -> Handshakes {
        Handshakes {
            timeout,
            entries: Mutex::new(Table::default()),
        }
    }

    /// Starts waiting for an app to accept the session `key`; returns the handshake id to
    /// announce (a new one each time, replacing the session's previous one). `None` only if
    /// the system's random source fails.
    pub fn begin(&self, key: SessionKey) -> Option<String> {
        let id = crate::sessions::new_session_id().ok()?;
        let now = Instant::now();
        let mut t = self.entries.lock().ok()?;
        let Table { by_session, by_id } = &mut *t;
        by_session.retain(|_, e| {
            let keep = e.deadline + KEEP_AFTER_DEADLINE > now;
            if !keep {
                by_id.remove(&e.id);
            }
            keep
        });
        if by_session.len() >= MAX_HANDSHAKES {
            let oldest = by_session
                .iter()
                .min_by_key(|(_, e)| e.deadline)
                .map(|(k, _)| k.clone());
            if let Some(e) = oldest.and_then(|k| by_session.remove(&k)) {
                by_id.remove(&e.id);
            }
        }
        let (ready, _) = watch::channel(None);
        let entry = Entry {
            id: id.clone(),
            deadline: now + self.timeout,
            ready,
        };
        if let Some(old) = by_session.insert(key.clone(), entry) {
            by_id.remove(&old.id);
        }
        by_id.insert(id.clone(), key);
        Some(id)
    }

    /// Records that `app` accepted the login announced with `handshake_id`; the first app
    /// wins. Returns whether this was the answer the login was waiting for. A session id, or
    /// anything else but a live handshake id, is ignored.
    pub fn ready(&self, handshake_id: &str, app: ReadyApp) -> bool {
        let Ok(t) = self.entries.lock() else {
            return false;
        };
        let entry = t.by_id.get(handshake_id).and_then(|k| t.by_session.get(k));
        match entry {
            Some(entry) => entry.ready.send_if_modified(|slot| {
                if slot.is_none() {
                    *slot = Some(app);
                    true
                } else {
                    false
                }
            }),
            None => false,
        }
    }

    /// The entry for session `key`, if its login is recent.
    pub fn watch(&self, key: &SessionKey) -> Option<Watch> {
        let t = self.entries.lock().ok()?;
        t.by_session.get(key).map(|e| Watch {
            ready: e.ready.subscribe(),
            deadline: e.deadline,
        })
    }

    /// Forgets session `key` (at logout).
    pub fn forget(&self, key: &SessionKey) {
        if let Ok(mut t) = self.entries.lock() {
            if let Some(e) = t.by_session.remove(key) {
                t.by_id.remove(&e.id);
            }
        }
    }

    /// Entries held (for tests).
    pub fn len(&self) -> usize {
        self.entries.lock().map(|t| t.by_session.len()).unwrap_or(0)
    }

    /// Whether no entries are held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(name: &str) -> ReadyApp {
        ReadyApp {
            app_name: name.into(),
            redirect_url: format!("http://{name}/"),
        }
    }

    #[tokio::test]
    async fn first_app_wins_and_watchers_see_it() {
        let h = Handshakes::new(Duration::from_secs(10));
        let key = SessionKey::of("s1");
        let id = h.begin(key.clone()).unwrap();
        assert_eq!(id.len(), 64);
        let mut w = h.watch(&key).unwrap();
        assert!(
            !h.ready("s1", app("by session id")),
            "the session id is not the handshake id"
        );
        assert!(h.ready(&id, app("one")));
        assert!(!h.ready(&id, app("two")));
        w.ready.changed().await.unwrap();
        assert_eq!(w.ready.borrow().as_ref().unwrap().app_name, "one");
        assert_eq!(
            h.watch(&key).unwrap().ready.borrow().clone(),
            Some(app("one"))
        );
    }

    #[test]
    fn unknown_sessions_are_ignored_and_the_table_is_bounded() {
        let h = Handshakes::new(Duration::from_secs(10));
        assert!(!h.ready("nobody", app("x")));
        let mut ids = Vec::new();
        for i in 0..MAX_HANDSHAKES + 5 {
            ids.push(h.begin(SessionKey::of(&i.to_string())).unwrap());
        }
        assert_eq!(h.len(), MAX_HANDSHAKES);
        assert!(!h.ready(&ids[0], app("x")), "an evicted login's id is gone");
        assert!(h.ready(&ids[MAX_HANDSHAKES + 4], app("x")));
    }

    #[test]
    fn a_new_handshake_replaces_the_old_id() {
        let h = Handshakes::new(Duration::from_secs(10));
        let key = SessionKey::of("s1");
        let old = h.begin(key.clone()).unwrap();
        let new = h.begin(key.clone()).unwrap();
        assert_ne!(old, new);
        assert!(!h.ready(&old, app("late")));
        assert!(h.ready(&new, app("now")));
        h.forget(&key);
        assert!(h.is_empty());
    }
}
