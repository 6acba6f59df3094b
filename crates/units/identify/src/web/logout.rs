//! `/logout`: revokes the session, clears the cookie, back to the login page.
//!
//! A link from an app on the same site (`Sec-Fetch-Site` same-origin or same-site) logs out
//! at once, as the original did. A request from another site gets a confirmation form
//! (POST with a CSRF token), so a third-party page cannot log people out.

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Form;
use modt_web::cookies::SESSION_COOKIE;
use modt_web::pages::SeeOther;
use modt_web::{csrf, CsrfToken, Lang, Page, WebError};
use serde::Deserialize;
use tracing::{info, warn};

use super::{LangQuery, WebState};
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
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let cross_site = headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == "cross-site");
    if !cross_site {
        return log_out(&state, &headers).await;
    }
    let lang = Lang::choose(&headers, q.lang.as_deref());
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
        state.identity.handshakes.forget(&key);
        if was_live {
            info!("logout");
        }
    }
    Ok(SeeOther::to("/login?bye=1")
        .cookie(state.scope.removal(SESSION_COOKIE))
        .into_response())
}
