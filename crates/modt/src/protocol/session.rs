//! Session identity payloads: `modt/session/query` and `modt/session/info` (docs/protocol.md §2).

use serde::{Deserialize, Serialize};

use super::{Correlation, Timestamp};

/// `modt/session/query`: "who is this session?"
///
/// Wire: `{"timestamp": "…", "session_id": "s1"}`, plus `request_id`/`reply_to` for a private reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionQuery {
    /// When the sender wrote the message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Timestamp>,
    /// The session to resolve (a secret: never log it).
    pub session_id: String,
    /// Correlation fields (extension).
    #[serde(flatten)]
    pub correlation: Correlation,
}

impl SessionQuery {
    /// A new query stamped now.
    pub fn new(session_id: impl Into<String>) -> Self {
        SessionQuery {
            timestamp: Some(Timestamp::now()),
            session_id: session_id.into(),
            correlation: Correlation::NONE,
        }
    }
}

/// Whether a session is known and live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    /// The session is live; `user_id` and `role` are set.
    Valid,
    /// Unknown, expired or revoked; `user_id` and `role` are null.
    Invalid,
}

/// `modt/session/info`: the identify unit's answer.
///
/// Wire (valid): `{"timestamp": "…", "session_id": "s1", "user_id": "u1", "role": "user", "status": "valid"}`
/// Wire (invalid): `{"timestamp": "…", "session_id": "s1", "user_id": null, "role": null, "status": "invalid"}`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// When the sender wrote the message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Timestamp>,
    /// The session asked about.
    pub session_id: String,
    /// The session's user, null when invalid.
    pub user_id: Option<String>,
    /// The user's role, null when invalid.
    pub role: Option<String>,
    /// `valid` or `invalid`.
    pub status: SessionStatus,
    /// The user's login name (extension): set only on private replies, so the legacy
    /// broadcast stays byte-compatible with the original.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Correlation fields (extension): `request_id` echoed on a private reply.
    #[serde(flatten)]
    pub correlation: Correlation,
}

impl SessionInfo {
    /// A valid session's info.
    pub fn valid(
        session_id: impl Into<String>,
        user_id: impl Into<String>,
        role: impl Into<String>,
    ) -> Self {
        SessionInfo {
            timestamp: Some(Timestamp::now()),
            session_id: session_id.into(),
            user_id: Some(user_id.into()),
            role: Some(role.into()),
            status: SessionStatus::Valid,
            username: None,
            correlation: Correlation::NONE,
        }
    }

    /// An invalid session's info.
    pub fn invalid(session_id: impl Into<String>) -> Self {
        SessionInfo {
            timestamp: Some(Timestamp::now()),
            session_id: session_id.into(),
            user_id: None,
            role: None,
            status: SessionStatus::Invalid,
            username: None,
            correlation: Correlation::NONE,
        }
    }
}
