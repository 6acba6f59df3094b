//! Remembered answers, as both backends store them: in the `requests` table, a row per
//! [`RequestKey`] (`id`, the request's `fingerprint`, the [`Outcome`] as JSON `answer`,
//! `expires_ms`), written in the same transaction as the change it answers. Only successful
//! writes are remembered: a refused one wrote nothing, so its retry is judged again.

use super::{Applied, Outcome, RequestKey, StoreError};

/// The stored text of `outcome`.
pub(crate) fn encode(outcome: &Outcome) -> Result<String, StoreError> {
    serde_json::to_string(outcome).map_err(|e| StoreError::Storage(e.to_string()))
}

/// What a write carrying `key` gets when `found` (the key's live row: its fingerprint and
/// answer) is remembered: the first answer again, or [`StoreError::KeyReused`] when the key
/// came with another request.
pub(crate) fn recall(
    key: &RequestKey,
    fingerprint: &[u8],
    answer: &str,
) -> Result<Applied, StoreError> {
    if fingerprint != key.fingerprint {
        return Err(StoreError::KeyReused);
    }
    let outcome: Outcome = serde_json::from_str(answer)
        .map_err(|e| StoreError::Storage(format!("a remembered answer is unreadable: {e}")))?;
    Ok(Applied {
        outcome,
        replayed: true,
    })
}
