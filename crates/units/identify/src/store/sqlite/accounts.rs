//! Users and sessions in SQLite: one function per store operation, each run on the store's
//! connection from a blocking thread.

use rusqlite::{params, Connection, ErrorCode, OptionalExtension};

use super::db;
use crate::accounts::Role;
use crate::sessions::SessionKey;
use crate::store::{Credentials, NewSession, StoreError, User, UserChange, TOUCH_EVERY_SECS};

const USER_COLUMNS: &str = "user_id, username, role, created_at";

fn user_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<User> {
    let role: String = row.get(2)?;
    Ok(User {
        user_id: row.get(0)?,
        username: row.get(1)?,
        role: Role::parse(&role).unwrap_or(Role::User),
        created_at: row.get(3)?,
    })
}

pub(super) fn create_user(c: &Connection, user: User, hash: &str) -> Result<User, StoreError> {
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
}

pub(super) fn credentials(c: &Connection, name: &str) -> Result<Option<Credentials>, StoreError> {
    c.query_row(
        &format!("SELECT {USER_COLUMNS}, password_hash FROM users WHERE username = ?1"),
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
}

pub(super) fn user_by_id(c: &Connection, user_id: &str) -> Result<Option<User>, StoreError> {
    c.query_row(
        &format!("SELECT {USER_COLUMNS} FROM users WHERE user_id = ?1"),
        params![user_id],
        user_from_row,
    )
    .optional()
    .map_err(db("reading a user"))
}

pub(super) fn users(c: &Connection) -> Result<Vec<User>, StoreError> {
    let mut stmt = c
        .prepare(&format!(
            "SELECT {USER_COLUMNS} FROM users ORDER BY username"
        ))
        .map_err(db("listing users"))?;
    let rows = stmt
        .query_map([], user_from_row)
        .map_err(db("listing users"))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(db("listing users"))?;
    Ok(rows)
}

pub(super) fn change_user(
    c: &mut Connection,
    name: &str,
    change: &UserChange,
) -> Result<Option<User>, StoreError> {
    let tx = c.transaction().map_err(db("changing a user"))?;
    let user = tx
        .query_row(
            &format!("SELECT {USER_COLUMNS} FROM users WHERE username = ?1"),
            params![name],
            user_from_row,
        )
        .optional()
        .map_err(db("reading a user"))?;
    let Some(user) = user else {
        return Ok(None);
    };
    let id = &user.user_id;
    let end_sessions = |tx: &rusqlite::Transaction<'_>| {
        tx.execute("DELETE FROM sessions WHERE user_id = ?1", params![id])?;
        tx.execute("DELETE FROM refresh_tokens WHERE user_id = ?1", params![id])
    };
    let done = match change {
        UserChange::Delete => end_sessions(&tx)
            .and_then(|_| tx.execute("DELETE FROM users WHERE user_id = ?1", params![id])),
        UserChange::Password(hash) => tx
            .execute(
                "UPDATE users SET password_hash = ?2 WHERE user_id = ?1",
                params![id, hash],
            )
            .and_then(|_| end_sessions(&tx)),
        UserChange::Role(role) => tx.execute(
            "UPDATE users SET role = ?2 WHERE user_id = ?1",
            params![id, role.as_str()],
        ),
    };
    done.map_err(db("changing a user"))?;
    tx.commit().map_err(db("changing a user"))?;
    Ok(Some(user))
}

pub(super) fn create_session(c: &Connection, s: &NewSession) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO sessions (key, user_id, created_at, last_seen_at, expires_at) VALUES (?1, ?2, ?3, ?3, ?4)",
        params![s.key.as_str(), s.user_id, s.now, s.expires_at],
    )
    .map_err(db("creating a session"))?;
    Ok(())
}

pub(super) fn session_user(
    c: &Connection,
    key: &SessionKey,
    now: i64,
    idle: i64,
) -> Result<Option<User>, StoreError> {
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
}

pub(super) fn revoke_session(
    c: &Connection,
    key: &SessionKey,
    now: i64,
) -> Result<bool, StoreError> {
    let n = c
        .execute(
            "UPDATE sessions SET revoked_at = ?2 WHERE key = ?1 AND revoked_at IS NULL",
            params![key.as_str(), now],
        )
        .map_err(db("revoking a session"))?;
    Ok(n > 0)
}

pub(super) fn sweep(c: &Connection, now: i64, idle: i64) -> Result<usize, StoreError> {
    c.execute(
        "DELETE FROM sessions WHERE revoked_at IS NOT NULL OR expires_at <= ?1 OR last_seen_at <= ?1 - ?2",
        params![now, idle],
    )
    .map_err(db("sweeping sessions"))
}
