//! The dead-letter record: what a unit could not handle, and why (PROTOCOL.md §5).

use serde::{Deserialize, Serialize};

use super::Timestamp;

/// Published to `modt/dead-letter/{unit_id}` for every payload a unit refused.
///
/// Wire: `{"timestamp": "…", "unit_id": "echo", "topic": "modt/echo", "payload": "not json",
/// "reason": "payload is not JSON: expected value at line 1 column 1", "code": "bad_request"}`.
/// A payload that is not UTF-8 is carried in `payload_base64` instead of `payload`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeadLetter {
    /// When the unit refused the message.
    pub timestamp: Timestamp,
    /// The refusing unit.
    pub unit_id: String,
    /// The topic the message came on.
    pub topic: String,
    /// The raw payload, when it is UTF-8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
    /// The raw payload in base64, when it is not UTF-8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload_base64: Option<String>,
    /// Why it was refused.
    pub reason: String,
    /// The error code the requester was (or would have been) told.
    pub code: super::ErrorCode,
}
