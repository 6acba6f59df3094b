//! The login throttle's counters and the login handshakes in PostgreSQL. A check-and-count
//! first takes a transaction-scoped advisory lock per key (in sorted order, so two takers
//! never wait on each other in a cycle): concurrent takers of the same key, on any replica,
//! queue, and each reads what the one before it committed.

use std::collections::HashMap;
use std::time::Duration;

use tokio_postgres::{Client, GenericClient, Transaction};

use super::db;
use crate::handshake::ReadyApp;
use crate::sessions::SessionKey;
use crate::store::records::uncount;
use crate::store::{HandshakeRecord, NewHandshake, StoreError, ThrottleTake};

/// The advisory lock that serializes changes to the handshakes' table (its bound).
const HANDSHAKES_LOCK: &str = "modt_identify.handshakes";

/// One number from `sql`.
pub(super) async fn count(c: &impl GenericClient, sql: &str) -> Result<usize, StoreError> {
    let n: i64 = c
        .query_one(sql, &[])
        .await
        .and_then(|r| r.try_get(0))
        .map_err(db("counting records"))?;
    Ok(usize::try_from(n).unwrap_or(0))
}

/// Locks `keys` (sorted) until the transaction ends.
async fn lock(tx: &Transaction<'_>, keys: &[String]) -> Result<(), StoreError> {
    for key in keys {
        tx.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
            &[key],
        )
        .await
        .map_err(db("locking throttle counters"))?;
    }
    Ok(())
}

/// The rows of `keys` that exist.
async fn load(
    tx: &Transaction<'_>,
    keys: &[String],
) -> Result<HashMap<String, Vec<i64>>, StoreError> {
    let rows = tx
        .query(
            "SELECT key, times FROM throttle WHERE key = ANY($1)",
            &[&keys],
        )
        .await
        .map_err(db("reading throttle counters"))?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect::<Result<_, tokio_postgres::Error>>()
        .map_err(db("reading throttle counters"))
}

/// Writes `rows` back: an empty key is deleted.
async fn save(tx: &Transaction<'_>, rows: &HashMap<String, Vec<i64>>) -> Result<(), StoreError> {
    for (key, times) in rows {
        match times.last() {
            None => tx.execute("DELETE FROM throttle WHERE key = $1", &[key]).await,
            Some(last) => {
                tx.execute(
                    "INSERT INTO throttle (key, times, last_ms) VALUES ($1, $2, $3)
                     ON CONFLICT (key) DO UPDATE SET times = excluded.times, last_ms = excluded.last_ms",
                    &[key, times, last],
                )
                .await
            }
        }
        .map_err(db("writing throttle counters"))?;
    }
    Ok(())
}

/// At `take.max_keys` tracked keys: drops those with nothing in the window, then (still
/// full) the stalest tenth. Returns whether anything was dropped.
async fn bound(tx: &Transaction<'_>, take: &ThrottleTake) -> Result<bool, StoreError> {
    if count(tx, "SELECT count(*) FROM throttle").await? < take.max_keys {
        return Ok(false);
    }
    let cutoff = take.now_ms.saturating_sub(take.window_ms());
    tx.execute("DELETE FROM throttle WHERE last_ms <= $1", &[&cutoff])
        .await
        .map_err(db("dropping old throttle counters"))?;
    if count(tx, "SELECT count(*) FROM throttle").await? >= take.max_keys {
        let n = i64::try_from(take.evict_count()).unwrap_or(i64::MAX);
        tx.execute(
            "DELETE FROM throttle WHERE key IN (SELECT key FROM throttle ORDER BY last_ms LIMIT $1)",
            &[&n],
        )
        .await
        .map_err(db("dropping the stalest throttle counters"))?;
    }
    Ok(true)
}

pub(super) async fn throttle_take(
    c: &mut Client,
    take: &ThrottleTake,
) -> Result<Result<(), Duration>, StoreError> {
    let context = "counting a throttled event";
    let tx = c.transaction().await.map_err(db(context))?;
    let keys = take.keys();
    lock(&tx, &keys).await?;
    let mut rows = load(&tx, &keys).await?;
    if let Err(wait) = take.check(&mut rows) {
        return Ok(Err(wait));
    }
    if bound(&tx, take).await? {
        rows = load(&tx, &keys).await?;
    }
    take.count(&mut rows);
    save(&tx, &rows).await?;
    tx.commit().await.map_err(db(context))?;
    Ok(Ok(()))
}

pub(super) async fn throttle_uncount(
    c: &mut Client,
    keys: &[String],
    at_ms: i64,
) -> Result<(), StoreError> {
    let context = "uncounting a throttled event";
    let mut keys = keys.to_vec();
    keys.sort();
    keys.dedup();
    let tx = c.transaction().await.map_err(db(context))?;
    lock(&tx, &keys).await?;
    let mut rows = load(&tx, &keys).await?;
    rows.retain(|_, times| uncount(times, at_ms));
    save(&tx, &rows).await?;
    tx.commit().await.map_err(db(context))
}

pub(super) async fn throttle_forget(c: &Client, keys: &[String]) -> Result<(), StoreError> {
    c.execute("DELETE FROM throttle WHERE key = ANY($1)", &[&keys])
        .await
        .map_err(db("forgetting throttle counters"))?;
    Ok(())
}

pub(super) async fn begin_handshake(c: &mut Client, h: &NewHandshake) -> Result<(), StoreError> {
    let context = "recording a login handshake";
    let tx = c.transaction().await.map_err(db(context))?;
    lock(&tx, &[HANDSHAKES_LOCK.to_string()]).await?;
    tx.execute(
        "DELETE FROM handshakes WHERE deadline_ms + $1 <= $2",
        &[&h.keep_ms, &h.now_ms],
    )
    .await
    .map_err(db(context))?;
    if count(&tx, "SELECT count(*) FROM handshakes").await? >= h.max {
        tx.execute(
            "DELETE FROM handshakes WHERE session_key =
               (SELECT session_key FROM handshakes ORDER BY deadline_ms LIMIT 1)",
            &[],
        )
        .await
        .map_err(db(context))?;
    }
    tx.execute(
        "INSERT INTO handshakes (session_key, handshake_id, deadline_ms) VALUES ($1, $2, $3)
         ON CONFLICT (session_key) DO UPDATE SET handshake_id = excluded.handshake_id,
           deadline_ms = excluded.deadline_ms, app_name = NULL, redirect_url = NULL",
        &[&h.key.as_str(), &h.handshake_id, &h.deadline_ms],
    )
    .await
    .map_err(db(context))?;
    tx.commit().await.map_err(db(context))
}

pub(super) async fn handshake_ready(
    c: &Client,
    id: &str,
    app_name: &str,
    redirect_url: &str,
) -> Result<Option<SessionKey>, StoreError> {
    let row = c
        .query_opt(
            "UPDATE handshakes SET app_name = $2, redirect_url = $3
             WHERE handshake_id = $1 AND app_name IS NULL RETURNING session_key",
            &[&id, &app_name, &redirect_url],
        )
        .await
        .map_err(db("recording an app's answer"))?;
    row.map(|r| r.try_get::<_, String>(0).map(SessionKey::from_stored))
        .transpose()
        .map_err(db("recording an app's answer"))
}

pub(super) async fn handshake(
    c: &Client,
    key: &SessionKey,
) -> Result<Option<HandshakeRecord>, StoreError> {
    let context = "reading a login handshake";
    let row = c
        .query_opt(
            "SELECT handshake_id, deadline_ms, app_name, redirect_url FROM handshakes
             WHERE session_key = $1",
            &[&key.as_str()],
        )
        .await
        .map_err(db(context))?;
    let Some(r) = row else {
        return Ok(None);
    };
    let read = || -> Result<HandshakeRecord, tokio_postgres::Error> {
        let app = match (r.try_get::<_, Option<String>>(2)?, r.try_get(3)?) {
            (Some(app_name), Some(redirect_url)) => Some(ReadyApp {
                app_name,
                redirect_url,
            }),
            _ => None,
        };
        Ok(HandshakeRecord {
            handshake_id: r.try_get(0)?,
            deadline_ms: r.try_get(1)?,
            app,
        })
    };
    read().map(Some).map_err(db(context))
}

pub(super) async fn forget_handshake(c: &Client, key: &SessionKey) -> Result<(), StoreError> {
    c.execute(
        "DELETE FROM handshakes WHERE session_key = $1",
        &[&key.as_str()],
    )
    .await
    .map_err(db("forgetting a login handshake"))?;
    Ok(())
}
