//! Remembered requests on SQLite: the `requests` table (created by the migrations), holding
//! each retry key's answer (see [`remembered`](crate::store::remembered)) so a re-sent write is
//! answered again instead of applied again.

use rusqlite::{params, Connection, OptionalExtension};

use super::storage;
use crate::store::remembered::{self, RequestId};
use crate::store::{BatchResult, StoreError, WriteOutcome};

/// The first answer to `id`, if it was committed.
pub(crate) fn recall(c: &Connection, id: &RequestId) -> Result<Option<BatchResult>, StoreError> {
    let text: Option<String> = c
        .prepare_cached("SELECT answer FROM requests WHERE id = ?")
        .and_then(|mut s| s.query_row(params![&id[..]], |r| r.get(0)).optional())
        .map_err(storage)?;
    text.map(|t| remembered::decode(&t)).transpose()
}

/// Remembers `result` as the answer to `id` (in the caller's transaction).
pub(crate) fn remember(
    c: &Connection,
    id: &RequestId,
    result: &Result<Vec<WriteOutcome>, StoreError>,
    now_ms: i64,
) -> Result<(), StoreError> {
    let Some(text) = remembered::encode(result)? else {
        return Ok(());
    };
    c.prepare_cached("INSERT OR REPLACE INTO requests (id, answer, at_ms) VALUES (?, ?, ?)")
        .and_then(|mut s| s.execute(params![&id[..], text, now_ms]))
        .map_err(storage)?;
    Ok(())
}

/// Forgets requests remembered before `before_ms`; returns how many.
pub(crate) fn forget_before(c: &Connection, before_ms: i64) -> Result<usize, StoreError> {
    c.prepare_cached("DELETE FROM requests WHERE at_ms < ?")
        .and_then(|mut s| s.execute(params![before_ms]))
        .map_err(storage)
}
