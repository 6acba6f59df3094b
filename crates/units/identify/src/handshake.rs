//! The login → app-ready → redirect handshake: which app answered which login.
//!
//! A login [`begin`](Handshakes::begin)s an entry under the session's key; the first
//! `modt/app/ready` for that session fills it ([`ready`](Handshakes::ready)); the waiting page
//! [`watch`](Handshakes::watch)es it until an app is known or the deadline passes. The table is
//! in memory and bounded: entries live a few minutes, and the oldest go first when it is full.

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
    entries: Mutex<HashMap<SessionKey, Entry>>,
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
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// Starts waiting for an app to accept the session `key`.
    pub fn begin(&self, key: SessionKey) {
        let now = Instant::now();
        let Ok(mut map) = self.entries.lock() else {
            return;
        };
        map.retain(|_, e| e.deadline + KEEP_AFTER_DEADLINE > now);
        if map.len() >= MAX_HANDSHAKES {
            if let Some(oldest) = map
                .iter()
                .min_by_key(|(_, e)| e.deadline)
                .map(|(k, _)| k.clone())
            {
                map.remove(&oldest);
            }
        }
        let (ready, _) = watch::channel(None);
        map.insert(
            key,
            Entry {
                deadline: now + self.timeout,
                ready,
            },
        );
    }

    /// Records that `app` accepted session `key`; the first app wins. Returns whether this
    /// was the answer the login was waiting for.
    pub fn ready(&self, key: &SessionKey, app: ReadyApp) -> bool {
        let Ok(map) = self.entries.lock() else {
            return false;
        };
        match map.get(key) {
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
        let map = self.entries.lock().ok()?;
        map.get(key).map(|e| Watch {
            ready: e.ready.subscribe(),
            deadline: e.deadline,
        })
    }

    /// Forgets session `key` (at logout).
    pub fn forget(&self, key: &SessionKey) {
        if let Ok(mut map) = self.entries.lock() {
            map.remove(key);
        }
    }

    /// Entries held (for tests).
    pub fn len(&self) -> usize {
        self.entries.lock().map(|m| m.len()).unwrap_or(0)
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
        h.begin(key.clone());
        let mut w = h.watch(&key).unwrap();
        assert!(h.ready(&key, app("one")));
        assert!(!h.ready(&key, app("two")));
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
        assert!(!h.ready(&SessionKey::of("nobody"), app("x")));
        for i in 0..MAX_HANDSHAKES + 5 {
            h.begin(SessionKey::of(&i.to_string()));
        }
        assert_eq!(h.len(), MAX_HANDSHAKES);
    }
}
