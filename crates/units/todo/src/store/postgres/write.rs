//! One write's transaction on PostgreSQL: recall its keys, else change the row and remember
//! the answer under each key, then commit.

use deadpool_postgres::GenericClient;

use super::{get_sql, pg, stored};
use crate::store::{remembered, Applied, Outcome, StoreError, Stored, Write, WriteOp};

/// Applies `write`; `Ok(None)` when a concurrent write with one of its keys committed
/// first (nothing was written: try again, to recall its answer).
pub(crate) async fn apply(
    conn: &mut modt_store::PgConnection,
    write: &Write,
) -> Result<Option<Applied>, StoreError> {
    let tx = conn.transaction().await.map_err(pg)?;
    for key in &write.keys {
        let row = tx
            .query_opt(
                "SELECT fingerprint, answer FROM requests WHERE id = $1 AND expires_ms > $2",
                &[&&key.id[..], &write.now_ms],
            )
            .await
            .map_err(pg)?;
        if let Some(row) = row {
            let fingerprint: Vec<u8> = row.try_get(0).map_err(pg)?;
            let answer: String = row.try_get(1).map_err(pg)?;
            return remembered::recall(key, &fingerprint, &answer).map(Some);
        }
    }
    let outcome = change(&tx, &write.op).await?;
    let answer = remembered::encode(&outcome)?;
    for key in &write.keys {
        let expires = key.expires_ms(write.now_ms);
        let stored = tx
            .execute(
                "INSERT INTO requests (id, fingerprint, answer, expires_ms) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (id) DO UPDATE SET fingerprint = excluded.fingerprint,
                     answer = excluded.answer, expires_ms = excluded.expires_ms
                 WHERE requests.expires_ms <= $5",
                &[
                    &&key.id[..],
                    &&key.fingerprint[..],
                    &answer,
                    &expires,
                    &write.now_ms,
                ],
            )
            .await
            .map_err(pg)?;
        if stored == 0 {
            // Another request with this key committed meanwhile; ours must not apply.
            tx.rollback().await.map_err(pg)?;
            return Ok(None);
        }
    }
    tx.commit().await.map_err(pg)?;
    Ok(Some(Applied {
        outcome,
        replayed: false,
    }))
}

/// The todo `id` if `owner`'s (anyone's when `None`), locked until the transaction ends
/// when `lock`.
pub(crate) async fn get(
    c: &impl GenericClient,
    owner: Option<&str>,
    id: &str,
    lock: bool,
) -> Result<Option<Stored>, StoreError> {
    let stmt = c.prepare_cached(&get_sql(lock)).await.map_err(pg)?;
    let row = c.query_opt(&stmt, &[&id, &owner]).await.map_err(pg)?;
    row.as_ref().map(stored).transpose()
}

async fn change(c: &impl GenericClient, op: &WriteOp) -> Result<Outcome, StoreError> {
    match op {
        WriteOp::Create(new) => {
            let s = new.stored();
            let t = &s.todo;
            c.execute(
                "INSERT INTO todos (id, owner, title, notes, done, version, created_ms, updated_ms)
                 VALUES ($1, $2, $3, $4, $5, 1, $6, $6)",
                &[&t.id, &t.owner, &t.title, &t.notes, &t.done, &s.created_ms],
            )
            .await
            .map_err(pg)?;
            Ok(Outcome::Created(s.todo))
        }
        WriteOp::Update {
            id,
            owner,
            if_match,
            patch,
            now_ms,
        } => {
            let current = get(c, owner.as_deref(), id, true)
                .await?
                .ok_or(StoreError::NotFound)?;
            current.check(if_match.as_deref())?;
            let next = current.patched(patch, *now_ms);
            let t = &next.todo;
            let version = i64::try_from(t.version).unwrap_or(i64::MAX);
            c.execute(
                "UPDATE todos SET title = $2, notes = $3, done = $4, version = $5, updated_ms = $6
                 WHERE id = $1",
                &[
                    &t.id,
                    &t.title,
                    &t.notes,
                    &t.done,
                    &version,
                    &next.updated_ms,
                ],
            )
            .await
            .map_err(pg)?;
            Ok(Outcome::Updated(next.todo))
        }
        WriteOp::Delete {
            id,
            owner,
            if_match,
        } => {
            let current = get(c, owner.as_deref(), id, true)
                .await?
                .ok_or(StoreError::NotFound)?;
            current.check(if_match.as_deref())?;
            c.execute("DELETE FROM todos WHERE id = $1", &[id])
                .await
                .map_err(pg)?;
            Ok(Outcome::Deleted(current.todo))
        }
    }
}
