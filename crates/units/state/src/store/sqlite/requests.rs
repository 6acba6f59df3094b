//! Remembered requests: the `requests` table, holding each retry key's outcome so a re-sent
//! write is answered again instead of applied again.
//!
//! Keys are stored as their SHA-256 (the table's only index), the outcome as JSON. Rows are
//! written in the same transaction as the writes they answer, so a remembered request is
//! exactly a committed one, across restarts too.

use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::storage;
use crate::store::{BatchResult, Committed, StoreError, WriteOutcome};

/// The table (created with the schema).
pub(crate) const CREATE: &str = "CREATE TABLE IF NOT EXISTS requests (
    id BLOB PRIMARY KEY,
    answer TEXT NOT NULL,
    at_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS requests_at_ms ON requests(at_ms);";

/// A retry key as stored.
pub(crate) type RequestId = [u8; 32];

/// The stored form of a retry key.
pub(crate) fn id(retry_key: &str) -> RequestId {
    Sha256::digest(retry_key.as_bytes()).into()
}

/// What is remembered: the outcomes, or the conflict that refused the batch. Other failures
/// wrote nothing and are not remembered, so a retry tries again.
#[derive(Debug, Serialize, Deserialize)]
enum Answer {
    Applied(Vec<WriteOutcome>),
    Conflict {
        key: String,
        expected: u64,
        found: u64,
    },
}

/// The first answer to `id`, if it was committed.
pub(crate) fn recall(c: &Connection, id: &RequestId) -> Result<Option<BatchResult>, StoreError> {
    let text: Option<String> = c
        .prepare_cached("SELECT answer FROM requests WHERE id = ?")
        .and_then(|mut s| s.query_row(params![&id[..]], |r| r.get(0)).optional())
        .map_err(storage)?;
    let Some(text) = text else {
        return Ok(None);
    };
    let answer: Answer = serde_json::from_str(&text)
        .map_err(|e| StoreError::Storage(format!("a remembered request is unreadable: {e}")))?;
    Ok(Some(match answer {
        Answer::Applied(outcomes) => Ok(Committed {
            outcomes,
            replayed: true,
        }),
        Answer::Conflict {
            key,
            expected,
            found,
        } => Err(StoreError::Conflict {
            key,
            expected,
            found,
        }),
    }))
}

/// Remembers `result` as the answer to `id` (in the caller's transaction).
pub(crate) fn remember(
    c: &Connection,
    id: &RequestId,
    result: &Result<Vec<WriteOutcome>, StoreError>,
    now_ms: i64,
) -> Result<(), StoreError> {
    let answer = match result {
        Ok(outcomes) => Answer::Applied(outcomes.clone()),
        Err(StoreError::Conflict {
            key,
            expected,
            found,
        }) => Answer::Conflict {
            key: key.clone(),
            expected: *expected,
            found: *found,
        },
        Err(_) => return Ok(()),
    };
    let text = serde_json::to_string(&answer).map_err(|e| StoreError::Storage(e.to_string()))?;
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
