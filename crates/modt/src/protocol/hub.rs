//! Hub registry payloads: `modt/{unit}/GET|POST|PUT` and `modt/{unit}/response` (PROTOCOL.md §2).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Correlation, Timestamp};

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

/// Hub status codes, HTTP-like (PROTOCOL.md §2).
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
