//! The gateway's documentation endpoints: the OpenAPI document (`/openapi.json`), a page that
//! shows it and works offline (`/docs`, its script and style served here too, no CDN), and the
//! JWK Set it verifies tokens with (`/.well-known/jwks.json`).
//!
//! The page is open to everyone and has the header of every MoDT page (modt_web's layout and
//! icon, the links between web units for a logged-in visitor).

use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use modt_web::{Lang, Page, WebError};

use super::messages::CATALOG;
use super::Gateway;

/// The page's template (beside modt_web's layout; the page refuses nobody, so no problem page).
pub(crate) const TEMPLATES: &[(&str, &str)] =
    &[("docs.html", include_str!("../../templates/docs.html"))];
const SCRIPT: &str = include_str!("../../assets/docs.js");
const STYLE: &str = include_str!("../../assets/docs.css");

pub(crate) async fn openapi(State(gw): State<Gateway>) -> Response {
    ([(CONTENT_TYPE, "application/json")], gw.openapi.to_string()).into_response()
}

pub(crate) async fn page(
    State(gw): State<Gateway>,
    lang: Lang,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let user = gw.auth.page_user(&headers).await;
    let title = CATALOG.text(lang, "docs_title");
    let html = gw.pages.render(
        "docs.html",
        lang,
        title,
        user.as_ref(),
        minijinja::context! {},
    )?;
    Ok(Page::new(html).into_response())
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
