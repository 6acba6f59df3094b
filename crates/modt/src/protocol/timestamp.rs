//! The `timestamp` field senders add to every payload (PROTOCOL.md §1).

use serde::{Deserialize, Serialize};

/// The wire format of the original Python SDK: `time.strftime("%Y-%m-%dT%H:%M:%S")`.
/// MoDT writes it in UTC. Receivers never require or interpret it.
pub const TIMESTAMP_FORMAT: &str = "%Y-%m-%dT%H:%M:%S";

/// An ISO 8601 timestamp as carried on the wire. Kept as the sender wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(pub String);

impl Timestamp {
    /// The current time in the original SDK's format.
    pub fn now() -> Self {
        Timestamp(chrono::Utc::now().format(TIMESTAMP_FORMAT).to_string())
    }
}

impl Default for Timestamp {
    fn default() -> Self {
        Timestamp::now()
    }
}

/// Serde default for optional received timestamps.
pub(crate) fn now_opt() -> Option<Timestamp> {
    Some(Timestamp::now())
}
