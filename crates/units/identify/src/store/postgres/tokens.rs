//! Signing keys and refresh tokens in PostgreSQL: one function per store operation, each one
//! statement or one transaction. A refresh token is locked (`FOR UPDATE`) while it is used, so
//! of two concurrent uses of one token on any replicas, the second sees it used: within the
//! reuse grace it gets a replacement of its own, after it the family is revoked.

use tokio_postgres::{Client, GenericClient, Row};

use super::{accounts, db};
use crate::store::{NewRefreshToken, RefreshRotation, RefreshUse, SigningKeyRecord, StoreError};

const KEY_COLUMNS: &str = "kid, private_pkcs8, public_key, created_at, rotated_at";

fn key_from_row(row: &Row) -> Result<SigningKeyRecord, tokio_postgres::Error> {
    Ok(SigningKeyRecord {
        kid: row.try_get(0)?,
        private_pkcs8: row.try_get(1)?,
        public_key: row.try_get(2)?,
        created_at: row.try_get(3)?,
        rotated_at: row.try_get(4)?,
    })
}

fn count(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

pub(super) async fn signing_keys(c: &Client) -> Result<Vec<SigningKeyRecord>, StoreError> {
    let sql = format!(
        "SELECT {KEY_COLUMNS} FROM signing_keys ORDER BY (rotated_at IS NULL), created_at, kid"
    );
    let rows = c
        .query(&sql, &[])
        .await
        .map_err(db("listing signing keys"))?;
    rows.iter()
        .map(key_from_row)
        .collect::<Result<Vec<_>, _>>()
        .map_err(db("listing signing keys"))
}

async fn insert_key(
    c: &impl GenericClient,
    k: &SigningKeyRecord,
    or_nothing: bool,
) -> Result<u64, tokio_postgres::Error> {
    let conflict = if or_nothing {
        "ON CONFLICT DO NOTHING"
    } else {
        ""
    };
    let sql = format!(
        "INSERT INTO signing_keys ({KEY_COLUMNS}) VALUES ($1, $2, $3, $4, NULL) {conflict}"
    );
    c.execute(
        &sql,
        &[&k.kid, &k.private_pkcs8, &k.public_key, &k.created_at],
    )
    .await
}

pub(super) async fn add_first_signing_key(
    c: &Client,
    key: &SigningKeyRecord,
) -> Result<bool, StoreError> {
    // The unique index over active keys turns a second active key into a conflict.
    let n = insert_key(c, key, true)
        .await
        .map_err(db("adding a signing key"))?;
    Ok(n > 0)
}

pub(super) async fn rotate_signing_key(
    c: &mut Client,
    key: &SigningKeyRecord,
) -> Result<(), StoreError> {
    const DOING: &str = "rotating the signing key";
    let tx = c.transaction().await.map_err(db(DOING))?;
    tx.execute(
        "UPDATE signing_keys SET rotated_at = $1 WHERE rotated_at IS NULL",
        &[&key.created_at],
    )
    .await
    .map_err(db(DOING))?;
    insert_key(&tx, key, false).await.map_err(db(DOING))?;
    tx.commit().await.map_err(db(DOING))
}

pub(super) async fn drop_signing_keys(
    c: &Client,
    rotated_before: i64,
) -> Result<usize, StoreError> {
    let n = c
        .execute(
            "DELETE FROM signing_keys WHERE rotated_at IS NOT NULL AND rotated_at < $1",
            &[&rotated_before],
        )
        .await
        .map_err(db("dropping retired signing keys"))?;
    Ok(count(n))
}

async fn insert_refresh_token(
    c: &impl GenericClient,
    t: &NewRefreshToken,
) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO refresh_tokens (token_hash, family_id, user_id, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5)",
        &[
            &t.hash,
            &t.family_id,
            &t.user_id,
            &t.created_at,
            &t.expires_at,
        ],
    )
    .await
    .map_err(db("storing a refresh token"))?;
    Ok(())
}

pub(super) async fn create_refresh_token(
    c: &Client,
    t: &NewRefreshToken,
) -> Result<(), StoreError> {
    insert_refresh_token(c, t).await
}

pub(super) async fn use_refresh_token(
    c: &mut Client,
    r: &RefreshRotation,
) -> Result<RefreshUse, StoreError> {
    const DOING: &str = "using a refresh token";
    let tx = c.transaction().await.map_err(db(DOING))?;
    let row = tx
        .query_opt(
            "SELECT family_id, user_id, expires_at, used_at, revoked_at IS NOT NULL
             FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE",
            &[&r.presented],
        )
        .await
        .map_err(db(DOING))?;
    let Some(row) = row else {
        return Ok(RefreshUse::Invalid);
    };
    type Presented = (String, String, i64, Option<i64>, bool);
    let read = |row: &Row| -> Result<Presented, tokio_postgres::Error> {
        Ok((
            row.try_get(0)?,
            row.try_get(1)?,
            row.try_get(2)?,
            row.try_get(3)?,
            row.try_get(4)?,
        ))
    };
    let (family_id, user_id, expires_at, used_at, revoked) = read(&row).map_err(db(DOING))?;
    if revoked || expires_at <= r.now {
        return Ok(RefreshUse::Invalid);
    }
    if used_at.is_some_and(|used_at| !r.within_grace(used_at)) {
        tx.execute(
            "UPDATE refresh_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL",
            &[&family_id, &r.now],
        )
        .await
        .map_err(db(DOING))?;
        tx.commit().await.map_err(db(DOING))?;
        return Ok(RefreshUse::Reused { user_id });
    }
    // Used moments ago (another tab, a lost reply): one more replacement, nothing revoked.
    let repeated = used_at.is_some();
    let Some(user) = accounts::user_by_id(&tx, &user_id).await? else {
        return Ok(RefreshUse::Invalid);
    };
    if !repeated {
        tx.execute(
            "UPDATE refresh_tokens SET used_at = $2 WHERE token_hash = $1",
            &[&r.presented, &r.now],
        )
        .await
        .map_err(db(DOING))?;
    }
    let next = NewRefreshToken {
        hash: r.next.clone(),
        family_id,
        user_id,
        created_at: r.now,
        expires_at: r.expires_at,
    };
    insert_refresh_token(&tx, &next).await?;
    tx.commit().await.map_err(db(DOING))?;
    Ok(match repeated {
        true => RefreshUse::Repeated(user),
        false => RefreshUse::Rotated(user),
    })
}

pub(super) async fn revoke_refresh_family(
    c: &Client,
    hash: &str,
    now: i64,
) -> Result<Option<String>, StoreError> {
    let row = c
        .query_opt(
            "WITH presented AS (SELECT family_id, user_id FROM refresh_tokens WHERE token_hash = $1),
                  revoked AS (
                      UPDATE refresh_tokens SET revoked_at = $2
                      WHERE family_id = (SELECT family_id FROM presented) AND revoked_at IS NULL)
             SELECT user_id FROM presented",
            &[&hash, &now],
        )
        .await
        .map_err(db("revoking a refresh token family"))?;
    row.map(|r| r.try_get(0))
        .transpose()
        .map_err(db("revoking a refresh token family"))
}

pub(super) async fn revoke_user_refresh_tokens(
    c: &Client,
    user_id: &str,
    now: i64,
) -> Result<usize, StoreError> {
    let n = c
        .execute(
            "UPDATE refresh_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL",
            &[&user_id, &now],
        )
        .await
        .map_err(db("revoking a user's refresh tokens"))?;
    Ok(count(n))
}

pub(super) async fn sweep_refresh_tokens(c: &Client, now: i64) -> Result<usize, StoreError> {
    let n = c
        .execute("DELETE FROM refresh_tokens WHERE expires_at <= $1", &[&now])
        .await
        .map_err(db("sweeping refresh tokens"))?;
    Ok(count(n))
}
