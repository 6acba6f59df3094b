//! Hub registry payloads: `modt/{unit}/GET|POST|PUT` and `modt/{unit}/response` (docs/protocol.md §2),
//! and the acknowledgement of a correlated POST/PUT (§3).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Correlation, ReplyStatus, Timestamp};

/// The hub verbs, which are the last level of the request topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HubMethod {
    /// Read a key.
    Get,
    /// Create or replace a key.
    Post,
    /// Replace a key.
    Put,
}

impl HubMethod {
    /// The topic level: `GET`, `POST` or `PUT`.
    pub fn as_str(self) -> &'static str {
        match self {
            HubMethod::Get => "GET",
            HubMethod::Post => "POST",
            HubMethod::Put => "PUT",
        }
    }

    /// Parses a topic level.
    pub fn from_level(level: &str) -> Option<Self> {
        match level {
            "GET" => Some(HubMethod::Get),
            "POST" => Some(HubMethod::Post),
            "PUT" => Some(HubMethod::Put),
            _ => None,
        }
    }
}

/// A request to the hub.
///
/// Wire: `{"id": "r1", "key": "color", "value": "blue"}` (`value` only for POST/PUT)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HubRequest {
    /// When the sender wrote the message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Timestamp>,
    /// Echoed in the response so the requester can match it.
    pub id: String,
    /// The registry key.
    pub key: String,
    /// The value to store (POST/PUT).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    /// Correlation fields (extension).
    #[serde(flatten)]
    pub correlation: Correlation,
}

impl HubRequest {
    /// A legacy request (no correlation fields): `value` is `None` for GET.
    pub fn new(id: impl Into<String>, key: impl Into<String>, value: Option<Value>) -> Self {
        HubRequest {
            timestamp: Some(Timestamp::now()),
            id: id.into(),
            key: key.into(),
            value,
            correlation: Correlation::NONE,
        }
    }
}

/// Hub status codes, HTTP-like (docs/protocol.md §2).
pub mod hub_status {
    /// A live value set by a unit.
    pub const LIVE: u16 = 200;
    /// A static default from the hub's file.
    pub const DEFAULT: u16 = 203;
    /// Nothing known.
    pub const NOT_FOUND: u16 = 404;
    /// The requester got no answer in time (set by the requester, never sent by the hub).
    pub const TIMEOUT: u16 = 408;
}

/// The hub's answer.
///
/// Wire: `{"id": "r1", "key": "color", "status": 200, "value": "blue"}`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HubResponse {
    /// When the sender wrote the message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Timestamp>,
    /// The request's id.
    pub id: String,
    /// The registry key.
    pub key: String,
    /// 200, 203, 404 or 408 (see [`hub_status`]).
    pub status: u16,
    /// The value, null when not found.
    #[serde(default)]
    pub value: Value,
    /// Correlation fields (extension).
    #[serde(flatten)]
    pub correlation: Correlation,
}

impl HubResponse {
    /// An answer to request `id` about `key`.
    pub fn new(id: impl Into<String>, key: impl Into<String>, status: u16, value: Value) -> Self {
        HubResponse {
            timestamp: Some(Timestamp::now()),
            id: id.into(),
            key: key.into(),
            status,
            value,
            correlation: Correlation::NONE,
        }
    }

    /// What a requester reports when no answer came in time: status 408, value null.
    pub fn timed_out(id: impl Into<String>, key: impl Into<String>) -> Self {
        HubResponse::new(id, key, hub_status::TIMEOUT, Value::Null)
    }
}

/// The private acknowledgement of a correlated POST/PUT, sent only once the value is on disk
/// (docs/protocol.md §3). It carries what a legacy answer would: the id, the key and the stored value.
///
/// Wire: `{"status": "ok", "request_id": "q1", "id": "r1", "key": "color", "value": "blue"}`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HubAck {
    /// When the sender wrote the message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Timestamp>,
    /// Always `ok`.
    pub status: ReplyStatus,
    /// The correlated request's `request_id`.
    #[serde(default)]
    pub request_id: Option<String>,
    /// The hub request's own `id`.
    pub id: String,
    /// The registry key.
    pub key: String,
    /// The value now stored.
    pub value: Value,
}

impl HubAck {
    /// An ack for the request `id` (correlated as `request_id`) that stored `value` under `key`.
    pub fn new(
        request_id: Option<String>,
        id: impl Into<String>,
        key: impl Into<String>,
        value: Value,
    ) -> Self {
        HubAck {
            timestamp: Some(Timestamp::now()),
            status: ReplyStatus::Ok,
            request_id,
            id: id.into(),
            key: key.into(),
            value,
        }
    }
}
