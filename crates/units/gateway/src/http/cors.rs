//! CORS: browsers on an allowed origin (the trusted web units' addresses, the configured
//! ones, the gateway's own) may call with credentials; preflights are answered here, before
//! any route.

use std::time::Duration;

use axum::http::header::{
    ACCEPT_LANGUAGE, AUTHORIZATION, CONTENT_TYPE, ETAG, IF_MATCH, IF_NONE_MATCH, LOCATION,
    RETRY_AFTER,
};
use axum::http::{HeaderName, HeaderValue, Method};
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::presence::Presence;

/// How long a browser may cache a preflight's answer.
pub(crate) const PREFLIGHT_MAX_AGE: Duration = Duration::from_secs(600);

/// The CORS layer, asking `presence` which origins are allowed at each request.
pub(crate) fn layer(presence: Presence) -> CorsLayer {
    let allowed = AllowOrigin::predicate(move |origin: &HeaderValue, _| {
        origin.to_str().is_ok_and(|o| presence.origin_allowed(o))
    });
    CorsLayer::new()
        .allow_origin(allowed)
        .allow_credentials(true)
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allow_headers([
            AUTHORIZATION,
            CONTENT_TYPE,
            IF_MATCH,
            IF_NONE_MATCH,
            ACCEPT_LANGUAGE,
            HeaderName::from_static("idempotency-key"),
            HeaderName::from_static(modt::protocol::api::REQUEST_ID_HEADER),
            HeaderName::from_static(modt::protocol::api::TRACEPARENT),
        ])
        .expose_headers([
            ETAG,
            LOCATION,
            RETRY_AFTER,
            HeaderName::from_static(modt::protocol::api::REQUEST_ID_HEADER),
        ])
        .max_age(PREFLIGHT_MAX_AGE)
}
