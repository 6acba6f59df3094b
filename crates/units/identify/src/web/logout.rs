//! `/logout`: revokes the session, clears the cookie, back to the login page.
//!
//! `GET /logout` (the links apps show, the original's among them) only shows a confirmation
//! form; the CSRF-checked `POST` logs out. So no link, image or page elsewhere can log people
//! out: older browsers send no `Sec-Fetch-Site`, and the site's other ports are other origins.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Form;
use modt_web::cookies::SESSION_COOKIE;
use modt_web::pages::SeeOther;
use modt_web::{csrf, CsrfToken, Lang, Page, WebError};
use serde::Deserialize;
use tracing::{info, warn};

use super::WebState;
use crate::store::unix_now;

/// The confirmation form's fields.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LogoutForm {
    /// The CSRF token.
    pub csrf_token: String,
}

/// `GET /logout`.
pub async fn show(
    State(state): State<WebState>,
    lang: Lang,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let csrf = CsrfToken::for_request(&headers)?;
    let html = state.render(
        "logout.html",
        lang,
        "logout_title",
        None,
        minijinja::context! { csrf => csrf.value() },
    )?;
    Ok(Page::new(html)
        .cookie(csrf.cookie(&state.scope))
        .into_response())
}

/// `POST /logout`.
pub async fn submit(
    State(state): State<WebState>,
    headers: HeaderMap,
    Form(f): Form<LogoutForm>,
) -> Result<Response, WebError> {
    if let Err(e) = csrf::verify(&headers, &f.csrf_token) {
        warn!(reason = %e, "logout form refused");
        return Ok(SeeOther::to("/logout").into_response());
    }
    log_out(&state, &headers).await
}

async fn log_out(state: &WebState, headers: &HeaderMap) -> Result<Response, WebError> {
    if let Some(id) = modt_web::cookies::session_id(headers) {
        let key = crate::sessions::SessionKey::of(&id);
        let was_live = state
            .identity
            .store
            .revoke_session(&key, unix_now())
            .await
            .map_err(|e| WebError::Internal(e.to_string()))?;
        state.identity.handshakes.forget(&key).await;
        if was_live {
            info!("logout");
        }
    }
    Ok(SeeOther::to("/login?bye=1")
        .cookie(state.scope.removal(SESSION_COOKIE))
        .into_response())
}
