//! Who may watch: administrators only. The session cookie is resolved by the identify unit
//! ([`modt_web::identity::resolve`]); the page and the WebSocket ask the same question.

use axum::http::header::{HOST, ORIGIN};
use axum::http::HeaderMap;
use modt_web::identity::{self, Visitor};
use modt_web::{SessionUser, WebError};

use crate::web::WebState;

/// What the visitor may do here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// An administrator: may watch.
    Admin(SessionUser),
    /// Logged in, but not an administrator.
    NotAdmin(SessionUser),
    /// Not logged in.
    Anonymous,
    /// A cookie for a session that ended.
    Expired,
    /// The identify unit did not answer in time.
    Unavailable,
}

/// Decides access for a request's cookie; a silent identify unit is [`Access::Unavailable`]
/// after the configured timeout, never a hang.
pub async fn check(state: &WebState, headers: &HeaderMap) -> Result<Access, WebError> {
    match identity::resolve(&state.asker, headers, state.session_timeout).await {
        Ok(Visitor::User(user)) if user.is_admin() => Ok(Access::Admin(user)),
        Ok(Visitor::User(user)) => Ok(Access::NotAdmin(user)),
        Ok(Visitor::Anonymous) => Ok(Access::Anonymous),
        Ok(Visitor::Expired) => Ok(Access::Expired),
        Err(WebError::Unavailable(why)) => {
            tracing::warn!(%why, "identify unit unavailable");
            Ok(Access::Unavailable)
        }
        Err(e) => Err(e),
    }
}

/// Whether a WebSocket handshake comes from our own pages. Browsers always send `Origin` on
/// WebSocket handshakes and cookies ride along cross-site, so a foreign `Origin` is refused
/// (cross-site WebSocket hijacking); clients without one (tools, tests) are left to the cookie.
pub fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let Some(host) = headers.get(HOST).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let authority = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"));
    authority.is_some_and(|a| a.eq_ignore_ascii_case(host))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(origin: Option<&'static str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(HOST, HeaderValue::from_static("127.0.0.1:8083"));
        if let Some(o) = origin {
            h.insert(ORIGIN, HeaderValue::from_static(o));
        }
        h
    }

    #[test]
    fn origin_must_be_this_site() {
        assert!(same_origin(&headers(None)));
        assert!(same_origin(&headers(Some("http://127.0.0.1:8083"))));
        assert!(!same_origin(&headers(Some("http://127.0.0.1:8081"))));
        assert!(!same_origin(&headers(Some("http://evil.example"))));
        assert!(!same_origin(&headers(Some("null"))));
    }
}
