//! Per-user key-value store payloads: `modt/state/*` (docs/protocol.md §2).
//!
//! Requests carry an `action` field as the original SDK wrote it; the state unit dispatches
//! on the topic, so a missing `action` is accepted on receipt and always written on send.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{Correlation, Timestamp};

/// The `action` field of a state request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StateAction {
    /// `modt/state/set`
    Set,
    /// `modt/state/get`
    Get,
    /// `modt/state/keys/query`
    ListKeys,
    /// `modt/state/all/get`
    GetAll,
    /// `modt/state/delete`
    Delete,
    /// `modt/state/clear`
    ClearAll,
}

macro_rules! action_default {
    ($name:ident, $variant:ident) => {
        fn $name() -> StateAction {
            StateAction::$variant
        }
    };
}
action_default!(set_action, Set);
action_default!(get_action, Get);
action_default!(list_keys_action, ListKeys);
action_default!(get_all_action, GetAll);
action_default!(delete_action, Delete);
action_default!(clear_action, ClearAll);

/// `modt/state/set`: store `value` (any JSON) under `key` for `user_id`.
///
/// Wire: `{"timestamp": "…", "user_id": "u1", "key": "theme", "value": "dark", "action": "set"}`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateSet {
    /// When the sender wrote the message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Timestamp>,
    /// Whose key.
    pub user_id: String,
    /// The key.
    pub key: String,
    /// The value; its JSON type is kept.
    pub value: Value,
    /// Always `set`.
    #[serde(default = "set_action")]
    pub action: StateAction,
    /// Extension: write only if the key's current version is this (0 = the key must not exist).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub if_version: Option<u64>,
    /// Extension: the key vanishes this many seconds after the write.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_secs: Option<u64>,
    /// Correlation fields (extension): with `reply_to`, an ack follows the durable write.
    #[serde(flatten)]
    pub correlation: Correlation,
}

impl StateSet {
    /// A set request stamped now.
    pub fn new(user_id: impl Into<String>, key: impl Into<String>, value: Value) -> Self {
        StateSet {
            timestamp: Some(Timestamp::now()),
            user_id: user_id.into(),
            key: key.into(),
            value,
            action: StateAction::Set,
            if_version: None,
            ttl_secs: None,
            correlation: Correlation::NONE,
        }
    }
}

/// `modt/state/get`: read `key` of `user_id`.
///
/// Wire: `{"timestamp": "…", "user_id": "u1", "key": "theme", "action": "get"}`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateGet {
    /// When the sender wrote the message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Timestamp>,
    /// Whose key.
    pub user_id: String,
    /// The key.
    pub key: String,
    /// Always `get`.
    #[serde(default = "get_action")]
    pub action: StateAction,
    /// Correlation fields (extension).
    #[serde(flatten)]
    pub correlation: Correlation,
}

impl StateGet {
    /// A get request stamped now.
    pub fn new(user_id: impl Into<String>, key: impl Into<String>) -> Self {
        StateGet {
            timestamp: Some(Timestamp::now()),
            user_id: user_id.into(),
            key: key.into(),
            action: StateAction::Get,
            correlation: Correlation::NONE,
        }
    }
}

/// Whether a get found its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueStatus {
    /// Found; `value` holds it.
    Valid,
    /// Not found; `value` is null.
    NotFound,
}

/// `modt/state/value`: the answer to a get.
///
/// Wire: `{"timestamp": "…", "user_id": "u1", "key": "theme", "value": "dark", "status": "valid"}`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateValue {
    /// When the sender wrote the message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Timestamp>,
    /// Whose key.
    pub user_id: String,
    /// The key.
    pub key: String,
    /// The value, null when not found.
    #[serde(default)]
    pub value: Value,
    /// `valid` or `not_found`.
    pub status: ValueStatus,
    /// Extension (correlated replies only): the key's version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
    /// Extension (correlated replies only): when the key was last written (`YYYY-MM-DD HH:MM:SS`, UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    /// Correlation fields (extension).
    #[serde(flatten)]
    pub correlation: Correlation,
}

/// `modt/state/value` as the original answers a get it cannot use: a JSON object whose
/// `user_id` or `key` is missing, not a string, or (here) over its limit. The original looks
/// such a get up as it is, finds nothing and answers `not_found`, echoing both fields as it got
/// them (`null` when missing), so a legacy requester waiting for its answer does not hang.
///
/// Wire: `{"timestamp": "…", "user_id": 5, "key": null, "value": null, "status": "not_found"}`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateValueEcho {
    /// When the sender wrote the message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Timestamp>,
    /// The request's `user_id`, whatever it was.
    #[serde(default)]
    pub user_id: Value,
    /// The request's `key`, whatever it was.
    #[serde(default)]
    pub key: Value,
    /// Always null.
    #[serde(default)]
    pub value: Value,
    /// Always `not_found`.
    pub status: ValueStatus,
}

impl StateValueEcho {
    /// The original's answer to the get `payload`, when it is a JSON object (the original
    /// answers nothing to anything else).
    pub fn for_payload(payload: &[u8]) -> Option<StateValueEcho> {
        let Value::Object(mut fields) = super::decode_object(payload).ok()? else {
            return None;
        };
        Some(StateValueEcho {
            timestamp: Some(Timestamp::now()),
            user_id: fields.remove("user_id").unwrap_or(Value::Null),
            key: fields.remove("key").unwrap_or(Value::Null),
            value: Value::Null,
            status: ValueStatus::NotFound,
        })
    }
}

/// What the original db-unit gives back for `value` once stored: it stores `str(value)` for
/// anything but lists and objects (`json.dumps` for those) and answers a get with the stored
/// text parsed as JSON when it parses, else the text. So `true` reads back `"True"`, `null`
/// `"None"`, the string `"5"` reads back `5`; numbers, lists and objects come back as they went.
/// A Rust state unit keeps JSON types; a requester that reads back a write to learn whether
/// the original stored it accepts either form.
pub fn as_the_original_stores(value: &Value) -> Value {
    match value {
        Value::Null => Value::String("None".into()),
        Value::Bool(true) => Value::String("True".into()),
        Value::Bool(false) => Value::String("False".into()),
        Value::String(s) => serde_json::from_str(s).unwrap_or_else(|_| value.clone()),
        other => other.clone(),
    }
}

/// `modt/state/keys/query`: list the keys of `user_id`.
///
/// Wire: `{"timestamp": "…", "user_id": "u1", "action": "list_keys"}`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateKeysQuery {
    /// When the sender wrote the message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Timestamp>,
    /// Whose keys.
    pub user_id: String,
    /// Always `list_keys`.
    #[serde(default = "list_keys_action")]
    pub action: StateAction,
    /// Extension: only keys starting with this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// Correlation fields (extension).
    #[serde(flatten)]
    pub correlation: Correlation,
}

impl StateKeysQuery {
    /// A keys query stamped now.
    pub fn new(user_id: impl Into<String>) -> Self {
        StateKeysQuery {
            timestamp: Some(Timestamp::now()),
            user_id: user_id.into(),
            action: StateAction::ListKeys,
            prefix: None,
            correlation: Correlation::NONE,
        }
    }
}

/// `modt/state/keys/list`: the answer to a keys query.
///
/// Wire: `{"timestamp": "…", "user_id": "u1", "keys": ["a", "b"]}`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateKeysList {
    /// When the sender wrote the message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Timestamp>,
    /// Whose keys.
    pub user_id: String,
    /// The keys.
    pub keys: Vec<String>,
    /// Correlation fields (extension).
    #[serde(flatten)]
    pub correlation: Correlation,
}

/// `modt/state/all/get`: read every key of `user_id`.
///
/// Wire: `{"timestamp": "…", "user_id": "u1", "action": "get_all"}`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateAllGet {
    /// When the sender wrote the message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Timestamp>,
    /// Whose keys.
    pub user_id: String,
    /// Always `get_all`.
    #[serde(default = "get_all_action")]
    pub action: StateAction,
    /// Correlation fields (extension).
    #[serde(flatten)]
    pub correlation: Correlation,
}

impl StateAllGet {
    /// An all-get stamped now.
    pub fn new(user_id: impl Into<String>) -> Self {
        StateAllGet {
            timestamp: Some(Timestamp::now()),
            user_id: user_id.into(),
            action: StateAction::GetAll,
            correlation: Correlation::NONE,
        }
    }
}

/// `modt/state/all/value`: the answer to an all-get.
///
/// Wire: `{"timestamp": "…", "user_id": "u1", "data": {"theme": "dark", "n": 5}}`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateAllValue {
    /// When the sender wrote the message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Timestamp>,
    /// Whose keys.
    pub user_id: String,
    /// Key → value.
    pub data: Map<String, Value>,
    /// Extension (correlated replies only): key → version and last write time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<std::collections::BTreeMap<String, super::EntryMeta>>,
    /// Correlation fields (extension).
    #[serde(flatten)]
    pub correlation: Correlation,
}

/// `modt/state/delete`: delete `key` of `user_id`.
///
/// Wire: `{"timestamp": "…", "user_id": "u1", "key": "theme", "action": "delete"}`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateDelete {
    /// When the sender wrote the message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Timestamp>,
    /// Whose key.
    pub user_id: String,
    /// The key.
    pub key: String,
    /// Always `delete`.
    #[serde(default = "delete_action")]
    pub action: StateAction,
    /// Extension: delete only if the key's current version is this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub if_version: Option<u64>,
    /// Correlation fields (extension).
    #[serde(flatten)]
    pub correlation: Correlation,
}

impl StateDelete {
    /// A delete request stamped now.
    pub fn new(user_id: impl Into<String>, key: impl Into<String>) -> Self {
        StateDelete {
            timestamp: Some(Timestamp::now()),
            user_id: user_id.into(),
            key: key.into(),
            action: StateAction::Delete,
            if_version: None,
            correlation: Correlation::NONE,
        }
    }
}

/// `modt/state/clear`: delete every key of `user_id`.
///
/// Wire: `{"timestamp": "…", "user_id": "u1", "action": "clear_all"}`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateClear {
    /// When the sender wrote the message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Timestamp>,
    /// Whose keys.
    pub user_id: String,
    /// Always `clear_all`.
    #[serde(default = "clear_action")]
    pub action: StateAction,
    /// Correlation fields (extension).
    #[serde(flatten)]
    pub correlation: Correlation,
}

impl StateClear {
    /// A clear request stamped now.
    pub fn new(user_id: impl Into<String>) -> Self {
        StateClear {
            timestamp: Some(Timestamp::now()),
            user_id: user_id.into(),
            action: StateAction::ClearAll,
            correlation: Correlation::NONE,
        }
    }
}
