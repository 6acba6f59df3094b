//! `GET /`: the todo page. The server renders only the frame (texts, limits, the gateway's
//! URL); the script (`assets/todo.js`) loads and changes the todos through the gateway.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use modt::protocol::todo::{MAX_NOTES_CHARS, MAX_PAGE_SIZE, MAX_TITLE_CHARS};
use modt_web::{Lang, Page, RequireUser, WebError};

use super::messages::CATALOG;
use super::WebState;

/// `GET /`.
pub async fn show(
    State(s): State<WebState>,
    lang: Lang,
    RequireUser(user): RequireUser,
) -> Result<Response, WebError> {
    let html = s.pages.render(
        "todos.html",
        lang,
        CATALOG.text(lang, "title"),
        Some(&user),
        minijinja::context! {
            api => s.gateway.url(),
            max_title => MAX_TITLE_CHARS,
            max_notes => MAX_NOTES_CHARS,
            page_size => MAX_PAGE_SIZE,
            js_texts => script_texts(lang),
        },
    )?;
    Ok(Page::new(html).into_response())
}

/// The texts the script shows (`js_*` in the catalog), by their name without `js_`.
fn script_texts(lang: Lang) -> BTreeMap<&'static str, &'static str> {
    CATALOG
        .texts(lang)
        .into_iter()
        .filter_map(|(k, v)| k.strip_prefix("js_").map(|k| (k, v)))
        .collect()
}
