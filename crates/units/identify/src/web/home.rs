//! `GET /`: who is signed in and which apps are running; the login page when nobody is.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use modt_web::{Lang, Page, WebError};

use super::signed_in::SignedIn;
use super::WebState;

/// `GET /`.
pub async fn show(
    State(state): State<WebState>,
    lang: Lang,
    SignedIn { user, .. }: SignedIn,
) -> Result<Response, WebError> {
    let html = state.render(
        "home.html",
        lang,
        "home_title",
        Some(&user),
        minijinja::context! { apps => state.apps(lang, &user) },
    )?;
    Ok(Page::new(html).into_response())
}
