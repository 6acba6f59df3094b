//! The login throttle's counters and the login handshakes in SQLite. Each operation is one
//! `IMMEDIATE` transaction (the write lock taken up front), so another process on the same
//! file (`modt users`) cannot interleave with a check-and-count.

use std::collections::HashMap;

use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};

use super::db;
use crate::handshake::ReadyApp;
use crate::sessions::SessionKey;
use crate::store::records::{decode_times, encode_times, uncount};
use crate::store::{HandshakeRecord, NewHandshake, StoreError, ThrottleTake};

fn begin<'c>(c: &'c mut Connection, context: &'static str) -> Result<Transaction<'c>, StoreError> {
    c.transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db(context))
}

/// One number from `sql`.
pub(super) fn count(c: &Connection, sql: &str) -> Result<usize, StoreError> {
    let n: i64 = c
        .query_row(sql, [], |r| r.get(0))
        .map_err(db("counting records"))?;
    Ok(usize::try_from(n).unwrap_or(0))
}

/// The rows of `keys` that exist.
fn load(tx: &Transaction<'_>, keys: &[String]) -> Result<HashMap<String, Vec<i64>>, StoreError> {
    let mut stmt = tx
        .prepare_cached("SELECT times FROM throttle WHERE key = ?1")
        .map_err(db("reading throttle counters"))?;
    let mut rows = HashMap::new();
    for key in keys {
        let times: Option<String> = stmt
            .query_row(params![key], |r| r.get(0))
            .optional()
            .map_err(db("reading throttle counters"))?;
        if let Some(times) = times {
            rows.insert(key.clone(), decode_times(&times));
        }
    }
    Ok(rows)
}

/// Writes `rows` back: an empty key is deleted.
fn save(tx: &Transaction<'_>, rows: &HashMap<String, Vec<i64>>) -> Result<(), StoreError> {
    for (key, times) in rows {
        match times.last() {
            None => tx.execute("DELETE FROM throttle WHERE key = ?1", params![key]),
            Some(last) => tx.execute(
                "INSERT INTO throttle (key, times, last_ms) VALUES (?1, ?2, ?3)
                 ON CONFLICT(key) DO UPDATE SET times = excluded.times, last_ms = excluded.last_ms",
                params![key, encode_times(times), last],
            ),
        }
        .map_err(db("writing throttle counters"))?;
    }
    Ok(())
}

/// At `take.max_keys` tracked keys: drops those with nothing in the window, then (still
/// full) the stalest tenth. Returns whether anything was dropped.
fn bound(tx: &Transaction<'_>, take: &ThrottleTake) -> Result<bool, StoreError> {
    if count(tx, "SELECT count(*) FROM throttle")? < take.max_keys {
        return Ok(false);
    }
    let cutoff = take.now_ms.saturating_sub(take.window_ms());
    tx.execute("DELETE FROM throttle WHERE last_ms <= ?1", params![cutoff])
        .map_err(db("dropping old throttle counters"))?;
    if count(tx, "SELECT count(*) FROM throttle")? >= take.max_keys {
        let n = i64::try_from(take.evict_count()).unwrap_or(i64::MAX);
        tx.execute(
            "DELETE FROM throttle WHERE key IN (SELECT key FROM throttle ORDER BY last_ms LIMIT ?1)",
            params![n],
        )
        .map_err(db("dropping the stalest throttle counters"))?;
    }
    Ok(true)
}

pub(super) fn throttle_take(
    c: &mut Connection,
    take: &ThrottleTake,
) -> Result<Result<(), std::time::Duration>, StoreError> {
    let tx = begin(c, "counting a throttled event")?;
    let keys = take.keys();
    let mut rows = load(&tx, &keys)?;
    if let Err(wait) = take.check(&mut rows) {
        return Ok(Err(wait));
    }
    if bound(&tx, take)? {
        rows = load(&tx, &keys)?;
    }
    take.count(&mut rows);
    save(&tx, &rows)?;
    tx.commit().map_err(db("counting a throttled event"))?;
    Ok(Ok(()))
}

pub(super) fn throttle_uncount(
    c: &mut Connection,
    keys: &[String],
    at_ms: i64,
) -> Result<(), StoreError> {
    let tx = begin(c, "uncounting a throttled event")?;
    let mut rows = load(&tx, keys)?;
    rows.retain(|_, times| uncount(times, at_ms));
    save(&tx, &rows)?;
    tx.commit().map_err(db("uncounting a throttled event"))
}

pub(super) fn throttle_forget(c: &mut Connection, keys: &[String]) -> Result<(), StoreError> {
    let tx = begin(c, "forgetting throttle counters")?;
    for key in keys {
        tx.execute("DELETE FROM throttle WHERE key = ?1", params![key])
            .map_err(db("forgetting throttle counters"))?;
    }
    tx.commit().map_err(db("forgetting throttle counters"))
}

pub(super) fn begin_handshake(c: &mut Connection, h: &NewHandshake) -> Result<(), StoreError> {
    let context = "recording a login handshake";
    let tx = begin(c, context)?;
    tx.execute(
        "DELETE FROM handshakes WHERE deadline_ms + ?1 <= ?2",
        params![h.keep_ms, h.now_ms],
    )
    .map_err(db(context))?;
    if count(&tx, "SELECT count(*) FROM handshakes")? >= h.max {
        tx.execute(
            "DELETE FROM handshakes WHERE session_key =
               (SELECT session_key FROM handshakes ORDER BY deadline_ms LIMIT 1)",
            [],
        )
        .map_err(db(context))?;
    }
    tx.execute(
        "INSERT INTO handshakes (session_key, handshake_id, deadline_ms) VALUES (?1, ?2, ?3)
         ON CONFLICT(session_key) DO UPDATE SET handshake_id = excluded.handshake_id,
           deadline_ms = excluded.deadline_ms, app_name = NULL, redirect_url = NULL",
        params![h.key.as_str(), h.handshake_id, h.deadline_ms],
    )
    .map_err(db(context))?;
    tx.commit().map_err(db(context))
}

pub(super) fn handshake_ready(
    c: &Connection,
    id: &str,
    app_name: &str,
    redirect_url: &str,
) -> Result<Option<SessionKey>, StoreError> {
    c.query_row(
        "UPDATE handshakes SET app_name = ?2, redirect_url = ?3
         WHERE handshake_id = ?1 AND app_name IS NULL RETURNING session_key",
        params![id, app_name, redirect_url],
        |r| r.get::<_, String>(0),
    )
    .optional()
    .map(|key| key.map(SessionKey::from_stored))
    .map_err(db("recording an app's answer"))
}

pub(super) fn handshake(
    c: &Connection,
    key: &SessionKey,
) -> Result<Option<HandshakeRecord>, StoreError> {
    c.query_row(
        "SELECT handshake_id, deadline_ms, app_name, redirect_url FROM handshakes
         WHERE session_key = ?1",
        params![key.as_str()],
        |r| {
            let app = match (r.get::<_, Option<String>>(2)?, r.get(3)?) {
                (Some(app_name), Some(redirect_url)) => Some(ReadyApp {
                    app_name,
                    redirect_url,
                }),
                _ => None,
            };
            Ok(HandshakeRecord {
                handshake_id: r.get(0)?,
                deadline_ms: r.get(1)?,
                app,
            })
        },
    )
    .optional()
    .map_err(db("reading a login handshake"))
}

pub(super) fn forget_handshake(c: &Connection, key: &SessionKey) -> Result<(), StoreError> {
    c.execute(
        "DELETE FROM handshakes WHERE session_key = ?1",
        params![key.as_str()],
    )
    .map_err(db("forgetting a login handshake"))?;
    Ok(())
}
