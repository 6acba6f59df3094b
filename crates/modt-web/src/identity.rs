//! "Who is this browser?": the session cookie resolved by a session query to the identify unit
//! (docs/protocol.md §2–§3): correlated when the identify unit answers privately, else the
//! original's broadcast on `modt/session/info`, matched by session id ([`modt::ask`]). The
//! session id goes over MQTT only, never into a URL or a log line.

use std::time::Duration;

use axum::http::HeaderMap;
use modt::protocol::{topics, Role, SessionInfo, SessionQuery, SessionStatus};
use modt::{Asker, LegacyAnswer};
use serde::Serialize;

use crate::{cookies, WebError};

/// How long a page waits for the identify unit by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3);

/// A logged-in user, as the identify unit describes the session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SessionUser {
    /// The user's id (stable, used as the state unit's `user_id`).
    pub user_id: String,
    /// What the user may do (`"user"` or `"admin"` in templates and on the wire).
    pub role: Role,
    /// The login name, when the identify unit says it (Rust identify units do).
    pub username: Option<String>,
}

impl SessionUser {
    /// Whether the user is an administrator.
    pub fn is_admin(&self) -> bool {
        self.role.is_admin()
    }
}

/// What a request's session cookie says about the browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Visitor {
    /// A live session.
    User(SessionUser),
    /// No session cookie.
    Anonymous,
    /// A cookie for a session that is unknown, expired or logged out.
    Expired,
}

/// Resolves the request's session cookie. A missing identify unit is
/// [`WebError::Unavailable`] after `timeout`, never a hang.
pub async fn resolve(
    asker: &Asker,
    headers: &HeaderMap,
    timeout: Duration,
) -> Result<Visitor, WebError> {
    let Some(session_id) = cookies::session_id(headers) else {
        return Ok(Visitor::Anonymous);
    };
    resolve_session(asker, &session_id, timeout).await
}

/// Asks the identify unit about `session_id` (from the cookie, or from the original's
/// `?session_id=` links).
pub async fn resolve_session(
    asker: &Asker,
    session_id: &str,
    timeout: Duration,
) -> Result<Visitor, WebError> {
    let query = SessionQuery::new(session_id);
    let same_session = |info: &SessionInfo| info.session_id == session_id;
    let legacy = LegacyAnswer {
        topic: &topics::SESSION_INFO,
        matches: &same_session,
    };
    let info: SessionInfo = asker
        .ask(&topics::SESSION_QUERY, &query, legacy, timeout)
        .await
        .map_err(|e| match e {
            _ if matches!(
                e.code(),
                modt::protocol::ErrorCode::Timeout | modt::protocol::ErrorCode::Unavailable
            ) =>
            {
                WebError::Unavailable(format!(
                    "the identify unit did not answer a session query: {e}"
                ))
            }
            other => WebError::Internal(format!("session query failed: {other}")),
        })?;
    Ok(match (info.status, info.user_id, info.role) {
        (SessionStatus::Valid, Some(user_id), Some(role)) => Visitor::User(SessionUser {
            user_id,
            // An unknown word from a foreign identify unit grants nothing extra.
            role: Role::from_wire(&role),
            username: info.username,
        }),
        _ => Visitor::Expired,
    })
}
