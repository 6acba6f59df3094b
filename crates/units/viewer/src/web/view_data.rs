//! `GET /view-data?session_id=…`: the original viewer's address. The original dummy app links
//! to it with the session id in the query; the Rust viewer keeps that link working without
//! keeping the id in the address bar.
//!
//! - A browser that already holds a session cookie keeps it: a link cannot swap a browser's
//!   session (that would be session fixation), so it goes to `/` as it is.
//! - A link from another site (`Sec-Fetch-Site: cross-site`) is not trusted with an id either.
//! - Otherwise the id is checked with the identify unit (privately, or the original's way); a
//!   valid one goes into the HttpOnly session cookie, and the browser is sent to `/`.
//!
//! Every answer is a redirect to `/`, which shows the keys or the login page, except when the
//! identify unit does not answer (a 503 page, as elsewhere).

use axum::extract::{Query, State};
use axum::http::header::{LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use modt_web::cookies;
use modt_web::extract::Refusal;
use modt_web::identity::{self, Visitor};
use modt_web::{Lang, WebError};
use serde::Deserialize;

use super::WebState;

/// The original's query.
#[derive(Debug, Deserialize)]
pub struct ViewDataQuery {
    /// The session id the original dummy app put in its link.
    #[serde(default)]
    session_id: Option<String>,
}

/// `GET /view-data`.
pub async fn show(
    State(s): State<WebState>,
    lang: Lang,
    headers: HeaderMap,
    Query(q): Query<ViewDataQuery>,
) -> Result<Response, WebError> {
    let offered = q
        .session_id
        .filter(|id| !id.is_empty() && id.len() <= cookies::MAX_COOKIE_VALUE);
    let Some(session_id) = offered.filter(|_| may_adopt(&headers)) else {
        return Ok(to_keys(None));
    };
    let (asker, timeout) = (s.gate.asker(), s.gate.session_timeout());
    match identity::resolve_session(asker, &session_id, timeout).await {
        Ok(Visitor::User(_)) => {
            let cookie = s.scope.session_until_closed(session_id);
            Ok(to_keys(Some(cookie.to_string())))
        }
        Ok(_) => Ok(to_keys(None)),
        Err(WebError::Unavailable(_)) => Ok(s.gate.refuse(lang, &Refusal::Unavailable, false)),
        Err(e) => Err(e),
    }
}

/// Whether a session id from the link may become this browser's session.
fn may_adopt(headers: &HeaderMap) -> bool {
    let cross_site = headers
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes() == b"cross-site");
    cookies::session_id(headers).is_none() && !cross_site
}

fn to_keys(set_cookie: Option<String>) -> Response {
    let mut res = (
        StatusCode::SEE_OTHER,
        [(LOCATION, HeaderValue::from_static("/"))],
    )
        .into_response();
    if let Some(c) = set_cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        res.headers_mut().insert(SET_COOKIE, c);
    }
    res
}
