//! `GET /`: who is signed in and which apps are running; the login page when nobody is.

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use modt_web::pages::SeeOther;
use modt_web::{Lang, Page, WebError};

use super::{LangQuery, WebState};

/// `GET /`.
pub async fn show(
    State(state): State<WebState>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let Some((_, user)) = state.session(&headers).await? else {
        return Ok(SeeOther::to("/login").into_response());
    };
    let lang = Lang::choose(&headers, q.lang.as_deref());
    let html = state.render(
        "home.html",
        lang,
        "home_title",
        Some(&user),
        minijinja::context! { apps => state.apps(lang, &user) },
    )?;
    Ok(Page::new(html).into_response())
}
