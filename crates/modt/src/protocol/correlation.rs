//! The correlated request/reply extension's payload fields (docs/protocol.md §3).
//!
//! A request MAY carry `request_id` and `reply_to`; on MQTT 5 the response-topic and
//! correlation-data properties mean the same and take precedence (see
//! [`RequestContext`](crate::RequestContext), which resolves both).

use serde::{Deserialize, Serialize};

/// Longest `request_id` accepted, in characters.
pub const MAX_REQUEST_ID_CHARS: usize = 128;

/// The `request_id` / `reply_to` pair, flattened into every request and reply payload.
///
/// Absent fields are not written, so legacy payloads stay byte-compatible.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Correlation {
    /// Echoed in the reply so the requester can match it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The topic the reply must go to, instead of the legacy broadcast topic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<String>,
}

impl Correlation {
    /// No correlation: a legacy message.
    pub const NONE: Correlation = Correlation {
        request_id: None,
        reply_to: None,
    };

    /// A reply's correlation: the request id alone.
    pub fn reply(request_id: Option<String>) -> Self {
        Correlation {
            request_id,
            reply_to: None,
        }
    }
}
