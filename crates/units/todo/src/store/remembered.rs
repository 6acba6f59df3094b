//! Remembered answers, as both backends store them: in the `requests` table, a row per
//! [`RequestKey`] (`id`, the request's `fingerprint`, the [`Outcome`] as JSON `answer`,
//! `expires_ms`), written in the same transaction as the change it answers. Only successful
//! writes are remembered: a refused one wrote nothing, so its retry is judged again. Keys and
//! requests are kept as SHA-256 digests ([`hash`], [`hash_request`]), never in the clear.

use std::time::Duration;

use sha2::{Digest, Sha256};

use super::{Applied, Outcome, StoreError};

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

/// A key a write's answer is remembered under: the SHA-256 of the key and of the request,
/// and for how long.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestKey {
    /// SHA-256 of the key's kind and text (never stored in the clear).
    pub id: [u8; 32],
    /// SHA-256 of the request it came with; the same key with another request is refused.
    pub fingerprint: [u8; 32],
    /// How long the answer is remembered.
    pub keep: std::time::Duration,
}

impl RequestKey {
    /// A request's retry key (`RequestContext::retry_key`), remembered for `keep`.
    pub fn retry(retry_key: &str, fingerprint: [u8; 32], keep: Duration) -> RequestKey {
        RequestKey {
            id: hash(&["retry", retry_key]),
            fingerprint,
            keep,
        }
    }

    /// An `Idempotency-Key` of `owner` (keys are per user), remembered for `keep`.
    pub fn idempotency(
        owner: &str,
        key: &str,
        fingerprint: [u8; 32],
        keep: Duration,
    ) -> RequestKey {
        RequestKey {
            id: hash(&["idempotency-key", owner, key]),
            fingerprint,
            keep,
        }
    }

    /// When the remembered answer expires, for a write at `now_ms`.
    pub(crate) fn expires_ms(&self, now_ms: i64) -> i64 {
        let keep = i64::try_from(self.keep.as_millis()).unwrap_or(i64::MAX);
        now_ms.saturating_add(keep)
    }
}

/// SHA-256 of `parts`, each length-prefixed (so no two lists of parts collide).
pub fn hash(parts: &[&str]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_be_bytes());
        h.update(p.as_bytes());
    }
    h.finalize().into()
}

/// The fingerprint of an API request: its method, route, path parameters and body (object
/// keys sorted, so the same JSON written in another key order is the same request).
pub fn hash_request(req: &modt::protocol::ApiRequest) -> [u8; 32] {
    let params = serde_json::to_string(&req.params).unwrap_or_default();
    let body = req
        .body
        .as_ref()
        .map(|b| canonical(b).to_string())
        .unwrap_or_default();
    // The caller is part of the request: a retry key that reached the unit from another caller
    // (a reused request id) must never be answered with the first caller's todo.
    let caller = req
        .caller
        .as_ref()
        .map(|c| c.user_id.as_str())
        .unwrap_or("");
    hash(&[&req.method, &req.route, &params, &body, caller])
}

/// `v` with every object's keys in sorted order.
fn canonical(v: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            Value::Object(
                keys.into_iter()
                    .map(|k| (k.clone(), canonical(&map[k])))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use modt::protocol::ApiRequest;

    #[test]
    fn the_same_body_in_another_key_order_is_the_same_request() {
        let mut a = ApiRequest::new("POST", "/todos");
        a.body = serde_json::from_str(r#"{"title":"x","done":true}"#).ok();
        let mut b = a.clone();
        b.body = serde_json::from_str(r#"{"done":true,"title":"x"}"#).ok();
        assert_eq!(hash_request(&a), hash_request(&b));
        b.body = serde_json::from_str(r#"{"done":false,"title":"x"}"#).ok();
        assert_ne!(hash_request(&a), hash_request(&b));
    }

    #[test]
    fn hashed_parts_do_not_run_into_each_other() {
        assert_ne!(hash(&["ab", "c"]), hash(&["a", "bc"]));
    }
}
