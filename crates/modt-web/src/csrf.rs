//! CSRF protection for every form: a double-submit token plus an `Origin` check.
//!
//! A page that shows a form calls [`CsrfToken::for_request`], puts [`CsrfToken::value`] in a
//! hidden [`CSRF_FIELD`] and sends [`CsrfToken::cookie`]. The POST handler calls [`verify`]:
//! the field must equal the cookie (compared in constant time), and a browser's `Origin`
//! header, when sent, must be the page's own origin. A cross-site page can neither read the
//! cookie nor forge the `Origin`, so it cannot produce a request that passes both.

use axum::http::header::{HOST, ORIGIN};
use axum::http::HeaderMap;
use cookie::{Cookie, SameSite};
use subtle::ConstantTimeEq;

use crate::cookies::{self, CookieScope};

/// The CSRF cookie's name.
pub const CSRF_COOKIE: &str = "modt_csrf";
/// The hidden form field carrying the token.
pub const CSRF_FIELD: &str = "csrf_token";
/// Random bytes in a token (hex-encoded, so twice as many characters).
const TOKEN_BYTES: usize = 32;

/// Why a form submission was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CsrfError {
    /// No CSRF cookie: the browser never loaded the form, or dropped the cookie.
    #[error("the form's security cookie is missing; reload the page and try again")]
    MissingCookie,
    /// The field does not match the cookie.
    #[error("the form's security token does not match; reload the page and try again")]
    Mismatch,
    /// The request came from another site.
    #[error("the form was sent from another site ({0})")]
    CrossOrigin(String),
}

/// The token for the forms of one page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsrfToken(String);

impl CsrfToken {
    /// The browser's current token, or a new one when it has none (or a malformed one).
    pub fn for_request(headers: &HeaderMap) -> Result<CsrfToken, getrandom::Error> {
        match cookies::get(headers, CSRF_COOKIE) {
            Some(v) if is_token(&v) => Ok(CsrfToken(v)),
            _ => CsrfToken::random(),
        }
    }

    /// A fresh random token.
    pub fn random() -> Result<CsrfToken, getrandom::Error> {
        Ok(CsrfToken(crate::random::token(TOKEN_BYTES)?))
    }

    /// The value for the hidden form field.
    pub fn value(&self) -> &str {
        &self.0
    }

    /// The cookie that pairs with the field (HttpOnly, SameSite=Strict, a browser session long).
    pub fn cookie(&self, scope: &CookieScope) -> Cookie<'static> {
        scope.cookie(CSRF_COOKIE, self.0.clone(), SameSite::Strict, None)
    }
}

fn is_token(v: &str) -> bool {
    v.len() == TOKEN_BYTES * 2 && v.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Checks a form submission: `submitted` (the [`CSRF_FIELD`]) against the cookie, and the
/// `Origin` header against the `Host` the request was sent to.
pub fn verify(headers: &HeaderMap, submitted: &str) -> Result<(), CsrfError> {
    check_origin(headers)?;
    let cookie = cookies::get(headers, CSRF_COOKIE).ok_or(CsrfError::MissingCookie)?;
    if cookie.len() == submitted.len() && bool::from(cookie.as_bytes().ct_eq(submitted.as_bytes()))
    {
        Ok(())
    } else {
        Err(CsrfError::Mismatch)
    }
}

/// Browsers send `Origin` with every POST; clients that send none (curl, old scripts) are
/// left to the token check.
fn check_origin(headers: &HeaderMap) -> Result<(), CsrfError> {
    let Some(origin) = headers.get(ORIGIN).and_then(|v| v.to_str().ok()) else {
        return Ok(());
    };
    let host = headers
        .get(HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let authority = url::Url::parse(origin).ok().and_then(|u| {
        let h = u.host_str()?.to_string();
        Some(match u.port() {
            Some(p) => format!("{h}:{p}"),
            None => h,
        })
    });
    match authority {
        Some(a) if a.eq_ignore_ascii_case(host) => Ok(()),
        _ => Err(CsrfError::CrossOrigin(origin.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::header::COOKIE;
    use axum::http::HeaderValue;

    fn headers(cookie: Option<&str>, origin: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(HOST, HeaderValue::from_static("127.0.0.1:8080"));
        if let Some(c) = cookie {
            h.insert(
                COOKIE,
                HeaderValue::from_str(&format!("{CSRF_COOKIE}={c}")).unwrap(),
            );
        }
        if let Some(o) = origin {
            h.insert(ORIGIN, HeaderValue::from_str(o).unwrap());
        }
        h
    }

    #[test]
    fn accepts_matching_token_from_own_origin() {
        let t = CsrfToken::random().unwrap();
        let h = headers(Some(t.value()), Some("http://127.0.0.1:8080"));
        assert_eq!(verify(&h, t.value()), Ok(()));
        assert_eq!(
            CsrfToken::for_request(&h).unwrap(),
            t,
            "an existing token is reused"
        );
    }

    #[test]
    fn refuses_missing_or_wrong_token() {
        let t = CsrfToken::random().unwrap();
        assert_eq!(
            verify(&headers(None, None), t.value()),
            Err(CsrfError::MissingCookie)
        );
        let other = CsrfToken::random().unwrap();
        assert_eq!(
            verify(&headers(Some(t.value()), None), other.value()),
            Err(CsrfError::Mismatch)
        );
        assert_eq!(
            verify(&headers(Some(t.value()), None), ""),
            Err(CsrfError::Mismatch)
        );
    }

    #[test]
    fn refuses_other_origins() {
        let t = CsrfToken::random().unwrap();
        for origin in ["http://evil.example", "null", "http://127.0.0.1:9999"] {
            let h = headers(Some(t.value()), Some(origin));
            assert!(
                matches!(verify(&h, t.value()), Err(CsrfError::CrossOrigin(_))),
                "{origin}"
            );
        }
    }

    #[test]
    fn malformed_cookie_gets_a_new_token() {
        let h = headers(Some("short"), None);
        assert_ne!(CsrfToken::for_request(&h).unwrap().value(), "short");
    }
}
