//! Reading cookies, and the session cookie's name and flags (docs/protocol.md §6).
//!
//! The session id lives only in [`SESSION_COOKIE`]: HttpOnly, SameSite=Lax, Path=/, Secure
//! when the site is served over https. Without a `Domain`, browsers send it to every port of
//! the same host, which is how the sample app and the viewer see the identify unit's cookie
//! in a local setup; across subdomains, set a domain.

use std::time::Duration;

use axum::http::header::COOKIE;
use axum::http::HeaderMap;
use cookie::{Cookie, SameSite};

/// The session cookie's name, as in the original identify unit.
pub const SESSION_COOKIE: &str = "modt_session_id";

/// Longest cookie value read; longer values are ignored as garbage.
pub const MAX_COOKIE_VALUE: usize = 256;

/// The value of cookie `name` in the request, if present and not longer than [`MAX_COOKIE_VALUE`].
pub fn get(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_string())
        .filter(|v| !v.is_empty() && v.len() <= MAX_COOKIE_VALUE)
}

/// The session id the browser holds, if any.
pub fn session_id(headers: &HeaderMap) -> Option<String> {
    get(headers, SESSION_COOKIE)
}

/// How a site's cookies are scoped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CookieScope {
    /// Send cookies over https only (set when the public URL is https).
    pub secure: bool,
    /// A `Domain` attribute, to share the session across subdomains.
    pub domain: Option<String>,
}

impl CookieScope {
    /// The scope for a site reached at `public_url`.
    pub fn for_url(public_url: &str, domain: Option<String>) -> Self {
        CookieScope {
            secure: public_url.starts_with("https://"),
            domain,
        }
    }

    /// An HttpOnly cookie with this scope, living `max_age` (a session cookie when `None`).
    pub fn cookie(
        &self,
        name: &str,
        value: String,
        same_site: SameSite,
        max_age: Option<Duration>,
    ) -> Cookie<'static> {
        let mut c = Cookie::build((name.to_string(), value))
            .http_only(true)
            .same_site(same_site)
            .path("/")
            .secure(self.secure);
        if let Some(d) = &self.domain {
            c = c.domain(d.clone());
        }
        if let Some(age) = max_age {
            let secs = i64::try_from(age.as_secs()).unwrap_or(i64::MAX);
            c = c.max_age(cookie::time::Duration::seconds(secs));
        }
        c.build()
    }

    /// The session cookie holding `session_id`.
    pub fn session(&self, session_id: String, max_age: Duration) -> Cookie<'static> {
        self.cookie(SESSION_COOKIE, session_id, SameSite::Lax, Some(max_age))
    }

    /// The session cookie holding `session_id` until the browser closes (for a page that
    /// adopts a session it did not create, and so does not know its lifetime; the identify
    /// unit still ends the session on its own schedule).
    pub fn session_until_closed(&self, session_id: String) -> Cookie<'static> {
        self.cookie(SESSION_COOKIE, session_id, SameSite::Lax, None)
    }

    /// A cookie that makes the browser forget `name`.
    pub fn removal(&self, name: &str) -> Cookie<'static> {
        self.cookie(name, String::new(), SameSite::Lax, Some(Duration::ZERO))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn reads_one_cookie_among_many() {
        let mut h = HeaderMap::new();
        h.insert(
            COOKIE,
            HeaderValue::from_static("a=1; modt_session_id=abc; b=2"),
        );
        assert_eq!(session_id(&h).as_deref(), Some("abc"));
        assert_eq!(get(&h, "b").as_deref(), Some("2"));
        assert_eq!(get(&h, "c"), None);
    }

    #[test]
    fn ignores_oversized_values() {
        let mut h = HeaderMap::new();
        let long = format!("modt_session_id={}", "x".repeat(MAX_COOKIE_VALUE + 1));
        h.insert(COOKIE, HeaderValue::from_str(&long).unwrap());
        assert_eq!(session_id(&h), None);
    }

    #[test]
    fn session_cookie_flags() {
        let scope = CookieScope::for_url("https://example.org", None);
        let c = scope
            .session("s1".into(), Duration::from_secs(60))
            .to_string();
        assert!(c.contains("HttpOnly"), "{c}");
        assert!(c.contains("SameSite=Lax"), "{c}");
        assert!(c.contains("Secure"), "{c}");
        assert!(c.contains("Path=/"), "{c}");
        let plain = CookieScope::for_url("http://127.0.0.1:8080", None)
            .session("s1".into(), Duration::from_secs(60))
            .to_string();
        assert!(!plain.contains("Secure"), "{plain}");
    }
}
