//! `GET /.well-known/jwks.json`: the JWK Set access tokens are verified with, as last
//! published on `modt/auth/jwks` (empty until the first publication). For verifiers that
//! read HTTP rather than MQTT.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::WebState;

/// Where the set is served.
pub const PATH: &str = "/.well-known/jwks.json";

/// `GET /.well-known/jwks.json`. Cacheable for one key-reload period: a new key is published
/// before it signs, and a verifier that meets an unknown `kid` should fetch again.
pub async fn show(State(state): State<WebState>) -> Response {
    let max_age = state.identity.config.tokens.key_reload_every.as_secs();
    let cache = format!("public, max-age={max_age}");
    (
        [(header::CACHE_CONTROL, cache)],
        Json(state.identity.keys.jwks()),
    )
        .into_response()
}
