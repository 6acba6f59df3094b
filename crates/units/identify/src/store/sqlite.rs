//! The SQLite identity store: one file (`modt_identify.db`), WAL, one connection used from
//! blocking threads. Logins are rare next to state traffic, so one connection suffices; no
//! query ever runs on an async runtime thread.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use rusqlite::{params, Connection, ErrorCode, OptionalExtension};

use super::{Credentials, IdentityStore, NewSession, StoreError, User, UserChange};
use crate::accounts::Role;
use crate::sessions::SessionKey;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS users (
    user_id       TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE COLLATE NOCASE,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('user', 'admin')),
    created_at    INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    key          TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    revoked_at   INTEGER
);
CREATE INDEX IF NOT EXISTS sessions_by_expiry ON sessions(expires_at);
";

/// A session's last use is written at most this often (reads stay reads).
const TOUCH_EVERY_SECS: i64 = 60;

/// The SQLite [`IdentityStore`]. Cheap to clone.
#[derive(Debug, Clone)]
pub struct SqliteIdentityStore {
    conn: Arc<Mutex<Connection>>,
}

impl SqliteIdentityStore {
    /// Opens (creating if needed) the database at `path`.
    pub fn open(path: &Path) -> Result<SqliteIdentityStore, StoreError> {
        let open_err = |source| StoreError::Open {
            path: path.display().to_string(),
            source,
        };
        // Owner-only before SQLite opens it (password hashes): -wal and -shm take its mode.
        modt::files::private_file(path).map_err(|source| StoreError::Create {
            path: path.display().to_string(),
            source,
        })?;
        let conn = Connection::open(path).map_err(open_err)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(open_err)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(open_err)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(open_err)?;
        conn.busy_timeout(Duration::from_secs(5))
            .map_err(open_err)?;
        conn.execute_batch(SCHEMA).map_err(open_err)?;
        Ok(SqliteIdentityStore {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// Runs `f` with the connection on a blocking thread.
    async fn call<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = conn
                .lock()
                .map_err(|_| StoreError::Task("the connection lock is poisoned".into()))?;
            f(&mut guard)
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?
    }
}

fn db(context: &'static str) -> impl FnOnce(rusqlite::Error) -> StoreError {
    move |source| StoreError::Database { context, source }
}

fn user_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<User> {
    let role: String = row.get(2)?;
    Ok(User {
        user_id: row.get(0)?,
        username: row.get(1)?,
        role: Role::parse(&role).unwrap_or(Role::User),
        created_at: row.get(3)?,
    })
}

#[async_trait]
impl IdentityStore for SqliteIdentityStore {
    async fn create_user(
        &self,
        username: &str,
        password_hash: &str,
        role: Role,
    ) -> Result<User, StoreError> {
        let user = User {
            user_id: uuid::Uuid::new_v4().to_string(),
            username: username.to_string(),
            role,
            created_at: super::unix_now(),
        };
        let hash = password_hash.to_string();
        self.call(move |c| {
            let r = c.execute(
                "INSERT INTO users (user_id, username, password_hash, role, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![user.user_id, user.username, hash, user.role.as_str(), user.created_at],
            );
            match r {
                Ok(_) => Ok(user),
                Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == ErrorCode::ConstraintViolation => {
                    Err(StoreError::UsernameTaken(user.username))
                }
                Err(e) => Err(db("creating a user")(e)),
            }
        })
        .await
    }

    async fn credentials(&self, username: &str) -> Result<Option<Credentials>, StoreError> {
        let name = username.to_string();
        self.call(move |c| {
            c.query_row(
                "SELECT user_id, username, role, created_at, password_hash FROM users WHERE username = ?1",
                params![name],
                |row| {
                    Ok(Credentials {
                        user: user_from_row(row)?,
                        password_hash: row.get(4)?,
                    })
                },
            )
            .optional()
            .map_err(db("reading a user"))
        })
        .await
    }

    async fn users(&self) -> Result<Vec<User>, StoreError> {
        self.call(|c| {
            let mut stmt = c
                .prepare("SELECT user_id, username, role, created_at FROM users ORDER BY username")
                .map_err(db("listing users"))?;
            let rows = stmt
                .query_map([], user_from_row)
                .map_err(db("listing users"))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(db("listing users"))?;
            Ok(rows)
        })
        .await
    }

    async fn change_user(
        &self,
        username: &str,
        change: UserChange,
    ) -> Result<Option<User>, StoreError> {
        let name = username.to_string();
        self.call(move |c| {
            let tx = c.transaction().map_err(db("changing a user"))?;
            let user = tx
                .query_row(
                    "SELECT user_id, username, role, created_at FROM users WHERE username = ?1",
                    params![name],
                    user_from_row,
                )
                .optional()
                .map_err(db("reading a user"))?;
            let Some(user) = user else {
                return Ok(None);
            };
            let id = &user.user_id;
            let done = match &change {
                UserChange::Delete => tx
                    .execute("DELETE FROM sessions WHERE user_id = ?1", params![id])
                    .and_then(|_| tx.execute("DELETE FROM users WHERE user_id = ?1", params![id])),
                UserChange::Password(hash) => tx
                    .execute(
                        "UPDATE users SET password_hash = ?2 WHERE user_id = ?1",
                        params![id, hash],
                    )
                    .and_then(|_| {
                        tx.execute("DELETE FROM sessions WHERE user_id = ?1", params![id])
                    }),
                UserChange::Role(role) => tx.execute(
                    "UPDATE users SET role = ?2 WHERE user_id = ?1",
                    params![id, role.as_str()],
                ),
            };
            done.map_err(db("changing a user"))?;
            tx.commit().map_err(db("changing a user"))?;
            Ok(Some(user))
        })
        .await
    }

    async fn create_session(&self, s: NewSession) -> Result<(), StoreError> {
        self.call(move |c| {
            c.execute(
                "INSERT INTO sessions (key, user_id, created_at, last_seen_at, expires_at) VALUES (?1, ?2, ?3, ?3, ?4)",
                params![s.key.as_str(), s.user_id, s.now, s.expires_at],
            )
            .map_err(db("creating a session"))?;
            Ok(())
        })
        .await
    }

    async fn session_user(
        &self,
        key: &SessionKey,
        now: i64,
        idle: Duration,
    ) -> Result<Option<User>, StoreError> {
        let key = key.clone();
        let idle = i64::try_from(idle.as_secs()).unwrap_or(i64::MAX);
        self.call(move |c| {
            let found = c
                .query_row(
                    "SELECT u.user_id, u.username, u.role, u.created_at, s.last_seen_at
                     FROM sessions s JOIN users u ON u.user_id = s.user_id
                     WHERE s.key = ?1 AND s.revoked_at IS NULL AND s.expires_at > ?2
                       AND s.last_seen_at > ?2 - ?3",
                    params![key.as_str(), now, idle],
                    |row| Ok((user_from_row(row)?, row.get::<_, i64>(4)?)),
                )
                .optional()
                .map_err(db("reading a session"))?;
            let Some((user, last_seen)) = found else {
                return Ok(None);
            };
            if now - last_seen >= TOUCH_EVERY_SECS {
                c.execute(
                    "UPDATE sessions SET last_seen_at = ?2 WHERE key = ?1",
                    params![key.as_str(), now],
                )
                .map_err(db("touching a session"))?;
            }
            Ok(Some(user))
        })
        .await
    }

    async fn revoke_session(&self, key: &SessionKey, now: i64) -> Result<bool, StoreError> {
        let key = key.clone();
        self.call(move |c| {
            let n = c
                .execute(
                    "UPDATE sessions SET revoked_at = ?2 WHERE key = ?1 AND revoked_at IS NULL",
                    params![key.as_str(), now],
                )
                .map_err(db("revoking a session"))?;
            Ok(n > 0)
        })
        .await
    }

    async fn sweep(&self, now: i64, idle: Duration) -> Result<usize, StoreError> {
        let idle = i64::try_from(idle.as_secs()).unwrap_or(i64::MAX);
        self.call(move |c| {
            c.execute(
                "DELETE FROM sessions WHERE revoked_at IS NOT NULL OR expires_at <= ?1 OR last_seen_at <= ?1 - ?2",
                params![now, idle],
            )
            .map_err(db("sweeping sessions"))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn store() -> (tempfile::TempDir, SqliteIdentityStore) {
        let dir = tempfile::tempdir().unwrap();
        let s = SqliteIdentityStore::open(&dir.path().join("id.db")).unwrap();
        (dir, s)
    }

    #[tokio::test]
    async fn user_names_are_unique_regardless_of_case() {
        let (_d, s) = store().await;
        let u = s.create_user("Alice", "h", Role::User).await.unwrap();
        assert!(matches!(
            s.create_user("alice", "h", Role::User).await,
            Err(StoreError::UsernameTaken(_))
        ));
        let c = s.credentials("ALICE").await.unwrap().unwrap();
        assert_eq!(c.user, u);
        assert_eq!(s.users().await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn changing_an_account_ends_its_sessions_where_it_must() {
        let (_d, s) = store().await;
        let u = s.create_user("carol", "old", Role::User).await.unwrap();
        let idle = Duration::from_secs(100);
        let login = |sid: &str| NewSession {
            key: SessionKey::of(sid),
            user_id: u.user_id.clone(),
            now: 1000,
            expires_at: 5000,
        };
        s.create_session(login("a")).await.unwrap();
        let live = |sid: &'static str| {
            let s = s.clone();
            async move {
                s.session_user(&SessionKey::of(sid), 1001, idle)
                    .await
                    .unwrap()
            }
        };
        s.change_user("CAROL", UserChange::Role(Role::Admin))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            live("a").await.unwrap().role,
            Role::Admin,
            "a role change shows at once"
        );
        s.change_user("carol", UserChange::Password("new".into()))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(live("a").await, None, "a new password ends the sessions");
        assert_eq!(
            s.credentials("carol").await.unwrap().unwrap().password_hash,
            "new"
        );
        s.create_session(login("b")).await.unwrap();
        s.change_user("carol", UserChange::Delete)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(live("b").await, None);
        assert!(s.users().await.unwrap().is_empty());
        assert_eq!(
            s.change_user("carol", UserChange::Delete).await.unwrap(),
            None
        );
    }

    #[tokio::test]
    async fn sessions_expire_idle_absolute_and_revoked() {
        let (_d, s) = store().await;
        let u = s.create_user("bob", "h", Role::Admin).await.unwrap();
        let idle = Duration::from_secs(100);
        let key = SessionKey::of("sid");
        s.create_session(NewSession {
            key: key.clone(),
            user_id: u.user_id.clone(),
            now: 1000,
            expires_at: 1500,
        })
        .await
        .unwrap();
        // Used at 1070 (≥ 60 s after the last write), so its last use moves to 1070 …
        assert_eq!(
            s.session_user(&key, 1070, idle).await.unwrap(),
            Some(u.clone())
        );
        // … and it is still live at 1160, which would be idle counted from login.
        assert!(s.session_user(&key, 1160, idle).await.unwrap().is_some());
        // Unused for more than 100 s after 1160: idle.
        assert_eq!(s.session_user(&key, 1261, idle).await.unwrap(), None);

        let key2 = SessionKey::of("sid2");
        s.create_session(NewSession {
            key: key2.clone(),
            user_id: u.user_id.clone(),
            now: 1000,
            expires_at: 1100,
        })
        .await
        .unwrap();
        assert!(s.session_user(&key2, 1099, idle).await.unwrap().is_some());
        assert_eq!(
            s.session_user(&key2, 1100, idle).await.unwrap(),
            None,
            "absolute expiry"
        );

        let key3 = SessionKey::of("sid3");
        s.create_session(NewSession {
            key: key3.clone(),
            user_id: u.user_id,
            now: 1000,
            expires_at: 5000,
        })
        .await
        .unwrap();
        assert!(s.revoke_session(&key3, 1001).await.unwrap());
        assert!(!s.revoke_session(&key3, 1002).await.unwrap());
        assert_eq!(s.session_user(&key3, 1002, idle).await.unwrap(), None);
        assert_eq!(s.sweep(1300, idle).await.unwrap(), 3);
    }
}
