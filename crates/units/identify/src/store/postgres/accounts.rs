//! Users and sessions in PostgreSQL: one function per store operation. User names are
//! matched by their lower case (the unique index `users_by_name`), as SQLite's `NOCASE`.

use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, Row};

use super::{db, schema};
use crate::accounts::Role;
use crate::sessions::SessionKey;
use crate::store::{Credentials, NewSession, StoreError, User, UserChange, TOUCH_EVERY_SECS};

const USER_COLUMNS: &str = "user_id, username, role, created_at";

fn user_from_row(row: &Row) -> Result<User, tokio_postgres::Error> {
    let role: String = row.try_get(2)?;
    Ok(User {
        user_id: row.try_get(0)?,
        username: row.try_get(1)?,
        role: Role::parse(&role).unwrap_or(Role::User),
        created_at: row.try_get(3)?,
    })
}

pub(super) async fn create_user(c: &Client, user: User, hash: &str) -> Result<User, StoreError> {
    let r = c
        .execute(
            "INSERT INTO users (user_id, username, password_hash, role, created_at) VALUES ($1, $2, $3, $4, $5)",
            &[&user.user_id, &user.username, &hash, &user.role.as_str(), &user.created_at],
        )
        .await;
    match r {
        Ok(_) => Ok(user),
        Err(e)
            if e.code() == Some(&SqlState::UNIQUE_VIOLATION)
                && e.as_db_error().and_then(|d| d.constraint()) == Some(schema::USERNAME_INDEX) =>
        {
            Err(StoreError::UsernameTaken(user.username))
        }
        Err(e) => Err(db("creating a user")(e)),
    }
}

/// Whether `name` could be stored at all: PostgreSQL text holds no NUL, so a name with one
/// (only ever typed into a login form) names no account.
fn storable(name: &str) -> bool {
    !name.contains('\0')
}

pub(super) async fn credentials(c: &Client, name: &str) -> Result<Option<Credentials>, StoreError> {
    if !storable(name) {
        return Ok(None);
    }
    let sql = format!(
        "SELECT {USER_COLUMNS}, password_hash FROM users WHERE lower(username) = lower($1)"
    );
    let row = c
        .query_opt(&sql, &[&name])
        .await
        .map_err(db("reading a user"))?;
    row.map(|r| {
        Ok(Credentials {
            user: user_from_row(&r)?,
            password_hash: r.try_get(4)?,
        })
    })
    .transpose()
    .map_err(db("reading a user"))
}

/// The account `user_id`, read with `c` (a client or a transaction).
pub(super) async fn user_by_id(
    c: &impl tokio_postgres::GenericClient,
    user_id: &str,
) -> Result<Option<User>, StoreError> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE user_id = $1");
    let row = c
        .query_opt(&sql, &[&user_id])
        .await
        .map_err(db("reading a user"))?;
    row.map(|r| user_from_row(&r))
        .transpose()
        .map_err(db("reading a user"))
}

pub(super) async fn users(c: &Client) -> Result<Vec<User>, StoreError> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY lower(username)");
    let rows = c.query(&sql, &[]).await.map_err(db("listing users"))?;
    rows.iter()
        .map(user_from_row)
        .collect::<Result<Vec<_>, _>>()
        .map_err(db("listing users"))
}

pub(super) async fn change_user(
    c: &mut Client,
    name: &str,
    change: &UserChange,
) -> Result<Option<User>, StoreError> {
    let context = "changing a user";
    if !storable(name) {
        return Ok(None);
    }
    let tx = c.transaction().await.map_err(db(context))?;
    let sql =
        format!("SELECT {USER_COLUMNS} FROM users WHERE lower(username) = lower($1) FOR UPDATE");
    let row = tx
        .query_opt(&sql, &[&name])
        .await
        .map_err(db("reading a user"))?;
    let Some(user) = row
        .map(|r| user_from_row(&r))
        .transpose()
        .map_err(db("reading a user"))?
    else {
        return Ok(None);
    };
    let id = &user.user_id;
    let end_sessions = "DELETE FROM sessions WHERE user_id = $1";
    match change {
        UserChange::Delete => {
            tx.execute(end_sessions, &[id]).await.map_err(db(context))?;
            tx.execute("DELETE FROM users WHERE user_id = $1", &[id])
                .await
                .map_err(db(context))?;
        }
        UserChange::Password(hash) => {
            tx.execute(
                "UPDATE users SET password_hash = $2 WHERE user_id = $1",
                &[id, hash],
            )
            .await
            .map_err(db(context))?;
            tx.execute(end_sessions, &[id]).await.map_err(db(context))?;
            tx.execute("DELETE FROM refresh_tokens WHERE user_id = $1", &[id])
                .await
                .map_err(db(context))?;
        }
        UserChange::Role(role) => {
            tx.execute(
                "UPDATE users SET role = $2 WHERE user_id = $1",
                &[id, &role.as_str()],
            )
            .await
            .map_err(db(context))?;
        }
    }
    tx.commit().await.map_err(db(context))?;
    Ok(Some(user))
}

pub(super) async fn create_session(c: &Client, s: &NewSession) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO sessions (key, user_id, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $3, $4)",
        &[&s.key.as_str(), &s.user_id, &s.now, &s.expires_at],
    )
    .await
    .map_err(db("creating a session"))?;
    Ok(())
}

pub(super) async fn session_user(
    c: &Client,
    key: &SessionKey,
    now: i64,
    idle: i64,
) -> Result<Option<User>, StoreError> {
    let row = c
        .query_opt(
            "SELECT u.user_id, u.username, u.role, u.created_at, s.last_seen_at
             FROM sessions s JOIN users u ON u.user_id = s.user_id
             WHERE s.key = $1 AND s.revoked_at IS NULL AND s.expires_at > $2
               AND s.last_seen_at > $2 - $3",
            &[&key.as_str(), &now, &idle],
        )
        .await
        .map_err(db("reading a session"))?;
    let Some(row) = row else {
        return Ok(None);
    };
    let user = user_from_row(&row).map_err(db("reading a session"))?;
    let last_seen: i64 = row.try_get(4).map_err(db("reading a session"))?;
    if now - last_seen >= TOUCH_EVERY_SECS {
        c.execute(
            "UPDATE sessions SET last_seen_at = $2 WHERE key = $1 AND last_seen_at < $2",
            &[&key.as_str(), &now],
        )
        .await
        .map_err(db("touching a session"))?;
    }
    Ok(Some(user))
}

pub(super) async fn revoke_session(
    c: &Client,
    key: &SessionKey,
    now: i64,
) -> Result<bool, StoreError> {
    let n = c
        .execute(
            "UPDATE sessions SET revoked_at = $2 WHERE key = $1 AND revoked_at IS NULL",
            &[&key.as_str(), &now],
        )
        .await
        .map_err(db("revoking a session"))?;
    Ok(n > 0)
}

pub(super) async fn sweep(c: &Client, now: i64, idle: i64) -> Result<usize, StoreError> {
    let n = c
        .execute(
            "DELETE FROM sessions WHERE revoked_at IS NOT NULL OR expires_at <= $1 OR last_seen_at <= $1 - $2",
            &[&now, &idle],
        )
        .await
        .map_err(db("sweeping sessions"))?;
    Ok(usize::try_from(n).unwrap_or(usize::MAX))
}
