//! The state unit's extension payloads (docs/protocol.md §3): versions, acks, bulk requests and
//! change events. The legacy `modt/state/*` payloads are in [`super::state`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Correlation, ReplyStatus, Timestamp};

/// A key's version and last write time (extension).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryMeta {
    /// Starts at 1, +1 on every write.
    pub version: u64,
    /// Last write, `YYYY-MM-DD HH:MM:SS` UTC.
    pub updated_at: String,
    /// When the key expires (Unix milliseconds), if it has a TTL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at_ms: Option<i64>,
}

/// The ack of a durable state write (extension, correlated requests only).
///
/// Wire: `{"status": "ok", "request_id": "r1", "version": 3}` for a set,
/// `{"status": "ok", "request_id": "r2", "removed": 1}` for a delete or clear.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateAck {
    /// When the sender wrote the message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Timestamp>,
    /// Always `ok`.
    pub status: ReplyStatus,
    /// The request's id.
    #[serde(default)]
    pub request_id: Option<String>,
    /// The key's new version (set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
    /// New versions by key (bulk set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub versions: Option<BTreeMap<String, u64>>,
    /// How many keys were removed (delete, clear).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub removed: Option<u64>,
}

impl StateAck {
    /// An empty ack for `request_id`; fill in what applies.
    pub fn new(request_id: Option<String>) -> Self {
        StateAck {
            timestamp: Some(Timestamp::now()),
            status: ReplyStatus::Ok,
            request_id,
            version: None,
            versions: None,
            removed: None,
        }
    }
}

/// `modt/state/bulk/get` (extension): read several keys in one request.
///
/// Wire: `{"user_id": "u1", "keys": ["a", "b"], "request_id": "…", "reply_to": "…"}`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateBulkGet {
    /// When the sender wrote the message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Timestamp>,
    /// Whose keys.
    pub user_id: String,
    /// The keys to read.
    pub keys: Vec<String>,
    /// Correlation fields.
    #[serde(flatten)]
    pub correlation: Correlation,
}

/// One key of a bulk-get answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BulkValue {
    /// The value.
    pub value: Value,
    /// Its version and last write time.
    #[serde(flatten)]
    pub meta: EntryMeta,
}

/// The answer to a bulk get: every asked key, null when not found.
///
/// Wire: `{"user_id": "u1", "values": {"a": {"value": 1, "version": 2, "updated_at": "…"}, "b": null}, "request_id": "…"}`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateBulkValue {
    /// When the sender wrote the message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Timestamp>,
    /// Whose keys.
    pub user_id: String,
    /// Key → value (null when not found).
    pub values: BTreeMap<String, Option<BulkValue>>,
    /// Correlation fields.
    #[serde(flatten)]
    pub correlation: Correlation,
}

/// One write of a bulk set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BulkEntry {
    /// The key.
    pub key: String,
    /// The value.
    pub value: Value,
    /// Write only if the current version is this (0 = must not exist).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub if_version: Option<u64>,
    /// Expire this many seconds after the write.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_secs: Option<u64>,
}

/// `modt/state/bulk/set` (extension): several writes, all or none, in one transaction.
///
/// Wire: `{"user_id": "u1", "entries": [{"key": "a", "value": 1}, {"key": "b", "value": [2], "if_version": 3}], …}`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateBulkSet {
    /// When the sender wrote the message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Timestamp>,
    /// Whose keys.
    pub user_id: String,
    /// The writes.
    pub entries: Vec<BulkEntry>,
    /// Correlation fields.
    #[serde(flatten)]
    pub correlation: Correlation,
}

/// What happened to a key, in a change event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeOp {
    /// A key was written.
    Set,
    /// A key was deleted.
    Delete,
    /// All of the user's keys were deleted.
    Clear,
}

/// `modt/state/changed/{user_id}` (extension): published after every committed change.
///
/// Wire: `{"timestamp": "…", "user_id": "u1", "op": "set", "key": "theme", "value": "dark", "version": 4}`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateChanged {
    /// When the change was committed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Timestamp>,
    /// Whose key.
    pub user_id: String,
    /// What happened.
    pub op: ChangeOp,
    /// The key (absent for clear).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The new value (set only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    /// The new version (set), or the deleted one (delete).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
}
