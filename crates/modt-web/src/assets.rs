//! Static assets compiled into the binary: the shared stylesheet and icon, and a helper for a unit's
//! own scripts (CSP forbids inline ones).

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

/// The stylesheet every MoDT page links as `/assets/modt.css`.
pub const STYLESHEET: &str = include_str!("../assets/modt.css");

/// The icon every MoDT page shows in its tab.
pub const FAVICON: &str = include_str!("../assets/favicon.svg");

/// A router serving `/assets/modt.css` and the icon (also as `/favicon.ico`, which browsers
/// ask for on their own).
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/assets/modt.css", get(|| async { css(STYLESHEET) }))
        .route("/assets/favicon.svg", get(|| async { icon() }))
        .route("/favicon.ico", get(|| async { icon() }))
}

fn icon() -> impl IntoResponse {
    (
        [
            (CONTENT_TYPE, "image/svg+xml"),
            (CACHE_CONTROL, "public, max-age=86400"),
        ],
        FAVICON,
    )
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
