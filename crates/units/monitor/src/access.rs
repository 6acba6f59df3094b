//! Who may watch: administrators only ([`modt_web::RequireAdmin`] on the page and the
//! WebSocket, the session cookie resolved by the identify unit), and for the WebSocket only
//! from this site's own pages ([`SameOrigin`]).

use axum::extract::FromRequestParts;
use axum::http::header::{HOST, ORIGIN};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use modt::protocol::ErrorCode;
use modt_web::ApiError;

/// A request whose `Origin`, if any, is this site ([`same_origin`]); any other is refused
/// with 403 before anything else is looked at.
#[derive(Debug, Clone, Copy)]
pub struct SameOrigin;

impl<S: Send + Sync> FromRequestParts<S> for SameOrigin {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<SameOrigin, Response> {
        if same_origin(&parts.headers) {
            Ok(SameOrigin)
        } else {
            Err(ApiError::new(ErrorCode::Forbidden, "cross-site WebSocket refused").into_response())
        }
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
