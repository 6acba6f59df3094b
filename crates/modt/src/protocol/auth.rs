//! Login handshake payloads: `modt/auth/success` and `modt/app/ready` (docs/protocol.md §2).

use serde::{Deserialize, Serialize};

use super::{Correlation, Timestamp};

/// `modt/auth/success`, published by the identify unit after a login.
///
/// Wire: `{"timestamp": "2026-01-02T10:00:00", "user_id": "u1", "session_id": "s1", "role": "user"}`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuthSuccess {
    /// When the sender wrote the message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Timestamp>,
    /// The user who logged in.
    pub user_id: String,
    /// The field the original filled with the new session id. The Rust identify unit puts a
    /// one-time handshake id here instead (the session id is the browser's credential, and
    /// every app reads this topic); apps echo it in [`AppReady::session_id`]. Treat it as a
    /// secret either way: never log it.
    pub session_id: String,
    /// The user's role, `user` or `admin`.
    pub role: String,
}

impl AuthSuccess {
    /// A new announcement stamped now.
    pub fn new(
        user_id: impl Into<String>,
        session_id: impl Into<String>,
        role: impl Into<String>,
    ) -> Self {
        AuthSuccess {
            timestamp: Some(Timestamp::now()),
            user_id: user_id.into(),
            session_id: session_id.into(),
            role: role.into(),
        }
    }
}

/// `modt/app/ready`, published by an app that accepts the new session.
///
/// Wire: `{"timestamp": "…", "app_name": "dummy", "redirect_url": "http://…", "session_id": "s1"}`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppReady {
    /// When the sender wrote the message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Timestamp>,
    /// The app's name, shown to the user.
    pub app_name: String,
    /// Where the browser goes next.
    pub redirect_url: String,
    /// The `session_id` of the [`AuthSuccess`] this answers (a handshake id from the Rust
    /// identify unit), echoed.
    pub session_id: String,
    /// Correlation fields (extension).
    #[serde(flatten)]
    pub correlation: Correlation,
}

impl AppReady {
    /// A new announcement stamped now.
    pub fn new(
        app_name: impl Into<String>,
        redirect_url: impl Into<String>,
        session_id: impl Into<String>,
    ) -> Self {
        AppReady {
            timestamp: Some(Timestamp::now()),
            app_name: app_name.into(),
            redirect_url: redirect_url.into(),
            session_id: session_id.into(),
            correlation: Correlation::NONE,
        }
    }
}
