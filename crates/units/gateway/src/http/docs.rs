//! The gateway's documentation endpoints: the OpenAPI document (`/openapi.json`), a page that
//! shows it and works offline (`/docs`, its script and style served here too, no CDN), and the
//! JWK Set it verifies tokens with (`/.well-known/jwks.json`).

use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::Gateway;

const PAGE: &str = include_str!("../../assets/docs.html");
const SCRIPT: &str = include_str!("../../assets/docs.js");
const STYLE: &str = include_str!("../../assets/docs.css");

pub(crate) async fn openapi(State(gw): State<Gateway>) -> Response {
    ([(CONTENT_TYPE, "application/json")], gw.openapi.to_string()).into_response()
}

pub(crate) async fn page() -> Response {
    ([(CONTENT_TYPE, "text/html; charset=utf-8")], PAGE).into_response()
}

pub(crate) async fn script() -> Response {
    (
        [
            (CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (CACHE_CONTROL, "no-cache"),
        ],
        SCRIPT,
    )
        .into_response()
}

pub(crate) async fn style() -> Response {
    (
        [
            (CONTENT_TYPE, "text/css; charset=utf-8"),
            (CACHE_CONTROL, "no-cache"),
        ],
        STYLE,
    )
        .into_response()
}

pub(crate) async fn jwks(State(gw): State<Gateway>) -> Response {
    ([(CACHE_CONTROL, "max-age=60")], Json(gw.ring.set())).into_response()
}
