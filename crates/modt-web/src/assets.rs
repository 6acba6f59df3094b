//! Static assets compiled into the binary: the shared stylesheet, and a helper for a unit's
//! own scripts (CSP forbids inline ones).

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

/// The stylesheet every MoDT page links as `/assets/modt.css`.
pub const STYLESHEET: &str = include_str!("../assets/modt.css");

/// A router serving `/assets/modt.css`.
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new().route("/assets/modt.css", get(|| async { css(STYLESHEET) }))
}

/// A stylesheet response, cacheable for an hour.
pub fn css(body: &'static str) -> impl IntoResponse {
    (
        [
            (CONTENT_TYPE, "text/css; charset=utf-8"),
            (CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
}

/// A script response, cacheable for an hour.
pub fn script(body: &'static str) -> impl IntoResponse {
    (
        [
            (CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
}
