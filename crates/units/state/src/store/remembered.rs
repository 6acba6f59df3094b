//! Remembered requests, as both backends store them: a retry key is kept as its SHA-256, and
//! the answer it got as JSON — the outcomes, or the conflict that refused the batch. Other
//! failures wrote nothing and are not remembered, so a retry tries again. Each backend keeps
//! them in its `requests` table, written in the same transaction as the writes they answer.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{BatchResult, Committed, StoreError, WriteOutcome};

/// A retry key as stored.
pub(crate) type RequestId = [u8; 32];

/// The stored form of a retry key.
pub(crate) fn id(retry_key: &str) -> RequestId {
    Sha256::digest(retry_key.as_bytes()).into()
}

#[derive(Debug, Serialize, Deserialize)]
enum Answer {
    Applied(Vec<WriteOutcome>),
    Conflict {
        key: String,
        expected: u64,
        found: u64,
    },
}

/// The text to remember for `result`, or `None` when it is not remembered.
pub(crate) fn encode(
    result: &Result<Vec<WriteOutcome>, StoreError>,
) -> Result<Option<String>, StoreError> {
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
        Err(_) => return Ok(None),
    };
    serde_json::to_string(&answer)
        .map(Some)
        .map_err(|e| StoreError::Storage(e.to_string()))
}

/// A remembered answer, given again: outcomes marked replayed, or the same conflict.
pub(crate) fn decode(text: &str) -> Result<BatchResult, StoreError> {
    let answer: Answer = serde_json::from_str(text)
        .map_err(|e| StoreError::Storage(format!("a remembered request is unreadable: {e}")))?;
    Ok(match answer {
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
    })
}

/// What a duplicate of a batch within the same group commit gets: the first's answer, as if
/// recalled.
pub(crate) fn replay(first: &BatchResult) -> BatchResult {
    match first {
        Ok(c) => Ok(Committed {
            outcomes: c.outcomes.clone(),
            replayed: true,
        }),
        Err(e) => Err(e.clone()),
    }
}
