//! Signing keys and refresh tokens in SQLite: one function per store operation, each run on
//! the store's connection from a blocking thread (the connection's lock makes each one step).

use rusqlite::{params, Connection, OptionalExtension};

use super::{accounts, db};
use crate::store::{
    NewRefreshToken, RefreshRotation, RefreshUse, SigningKeyRecord, StoreError, User,
};

const KEY_COLUMNS: &str = "kid, private_pkcs8, public_key, created_at, rotated_at";

fn key_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<SigningKeyRecord> {
    Ok(SigningKeyRecord {
        kid: row.get(0)?,
        private_pkcs8: row.get(1)?,
        public_key: row.get(2)?,
        created_at: row.get(3)?,
        rotated_at: row.get(4)?,
    })
}

pub(super) fn signing_keys(c: &Connection) -> Result<Vec<SigningKeyRecord>, StoreError> {
    let mut stmt = c
        .prepare(&format!(
            "SELECT {KEY_COLUMNS} FROM signing_keys ORDER BY (rotated_at IS NULL), created_at, kid"
        ))
        .map_err(db("listing signing keys"))?;
    let keys = stmt
        .query_map([], key_from_row)
        .map_err(db("listing signing keys"))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(db("listing signing keys"))?;
    Ok(keys)
}

fn insert_key(c: &Connection, k: &SigningKeyRecord, or_nothing: bool) -> rusqlite::Result<usize> {
    let conflict = if or_nothing {
        "ON CONFLICT DO NOTHING"
    } else {
        ""
    };
    c.execute(
        &format!(
            "INSERT INTO signing_keys ({KEY_COLUMNS}) VALUES (?1, ?2, ?3, ?4, NULL) {conflict}"
        ),
        params![k.kid, k.private_pkcs8, k.public_key, k.created_at],
    )
}

pub(super) fn add_first_signing_key(
    c: &Connection,
    key: &SigningKeyRecord,
) -> Result<bool, StoreError> {
    // The unique index over active keys turns a second active key into a conflict.
    let n = insert_key(c, key, true).map_err(db("adding a signing key"))?;
    Ok(n > 0)
}

pub(super) fn rotate_signing_key(
    c: &mut Connection,
    key: &SigningKeyRecord,
) -> Result<(), StoreError> {
    let tx = c.transaction().map_err(db("rotating the signing key"))?;
    tx.execute(
        "UPDATE signing_keys SET rotated_at = ?1 WHERE rotated_at IS NULL",
        params![key.created_at],
    )
    .map_err(db("rotating the signing key"))?;
    insert_key(&tx, key, false).map_err(db("rotating the signing key"))?;
    tx.commit().map_err(db("rotating the signing key"))
}

pub(super) fn drop_signing_keys(c: &Connection, rotated_before: i64) -> Result<usize, StoreError> {
    c.execute(
        "DELETE FROM signing_keys WHERE rotated_at IS NOT NULL AND rotated_at < ?1",
        params![rotated_before],
    )
    .map_err(db("dropping retired signing keys"))
}

pub(super) fn create_refresh_token(c: &Connection, t: &NewRefreshToken) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO refresh_tokens (token_hash, family_id, user_id, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![t.hash, t.family_id, t.user_id, t.created_at, t.expires_at],
    )
    .map_err(db("storing a refresh token"))?;
    Ok(())
}

/// What is stored of a presented token.
struct Presented {
    family_id: String,
    user_id: String,
    expires_at: i64,
    used_at: Option<i64>,
    revoked: bool,
}

pub(super) fn use_refresh_token(
    c: &mut Connection,
    r: &RefreshRotation,
) -> Result<RefreshUse, StoreError> {
    const DOING: &str = "using a refresh token";
    let tx = c.transaction().map_err(db(DOING))?;
    let found = tx
        .query_row(
            "SELECT family_id, user_id, expires_at, used_at, revoked_at IS NOT NULL
             FROM refresh_tokens WHERE token_hash = ?1",
            params![r.presented],
            |row| {
                Ok(Presented {
                    family_id: row.get(0)?,
                    user_id: row.get(1)?,
                    expires_at: row.get(2)?,
                    used_at: row.get(3)?,
                    revoked: row.get(4)?,
                })
            },
        )
        .optional()
        .map_err(db(DOING))?;
    let Some(p) = found else {
        return Ok(RefreshUse::Invalid);
    };
    if p.revoked || p.expires_at <= r.now {
        return Ok(RefreshUse::Invalid);
    }
    if p.used_at.is_some_and(|used_at| !r.within_grace(used_at)) {
        revoke_family(&tx, &p.family_id, r.now).map_err(db(DOING))?;
        tx.commit().map_err(db(DOING))?;
        return Ok(RefreshUse::Reused { user_id: p.user_id });
    }
    // Used moments ago (another tab, a lost reply): one more replacement, nothing revoked.
    let repeated = p.used_at.is_some();
    let user: Option<User> = accounts::user_by_id(&tx, &p.user_id)?;
    let Some(user) = user else {
        return Ok(RefreshUse::Invalid);
    };
    if !repeated {
        tx.execute(
            "UPDATE refresh_tokens SET used_at = ?2 WHERE token_hash = ?1",
            params![r.presented, r.now],
        )
        .map_err(db(DOING))?;
    }
    let next = NewRefreshToken {
        hash: r.next.clone(),
        family_id: p.family_id,
        user_id: p.user_id,
        created_at: r.now,
        expires_at: r.expires_at,
    };
    create_refresh_token(&tx, &next)?;
    tx.commit().map_err(db(DOING))?;
    Ok(match repeated {
        true => RefreshUse::Repeated(user),
        false => RefreshUse::Rotated(user),
    })
}

pub(super) fn revoke_refresh_family(
    c: &mut Connection,
    hash: &str,
    now: i64,
) -> Result<Option<String>, StoreError> {
    const DOING: &str = "revoking a refresh token family";
    let tx = c.transaction().map_err(db(DOING))?;
    let found: Option<(String, String)> = tx
        .query_row(
            "SELECT family_id, user_id FROM refresh_tokens WHERE token_hash = ?1",
            params![hash],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()
        .map_err(db(DOING))?;
    let Some((family, user_id)) = found else {
        return Ok(None);
    };
    revoke_family(&tx, &family, now).map_err(db(DOING))?;
    tx.commit().map_err(db(DOING))?;
    Ok(Some(user_id))
}

/// Revokes every live token of `family` at `now`.
fn revoke_family(c: &Connection, family: &str, now: i64) -> rusqlite::Result<usize> {
    c.execute(
        "UPDATE refresh_tokens SET revoked_at = ?2 WHERE family_id = ?1 AND revoked_at IS NULL",
        params![family, now],
    )
}

pub(super) fn revoke_user_refresh_tokens(
    c: &Connection,
    user_id: &str,
    now: i64,
) -> Result<usize, StoreError> {
    c.execute(
        "UPDATE refresh_tokens SET revoked_at = ?2
         WHERE user_id = ?1 AND revoked_at IS NULL",
        params![user_id, now],
    )
    .map_err(db("revoking a user's refresh tokens"))
}

pub(super) fn sweep_refresh_tokens(c: &Connection, now: i64) -> Result<usize, StoreError> {
    c.execute(
        "DELETE FROM refresh_tokens WHERE expires_at <= ?1",
        params![now],
    )
    .map_err(db("sweeping refresh tokens"))
}
