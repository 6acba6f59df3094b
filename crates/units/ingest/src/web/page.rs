//! `GET /`: the devices page. The server renders only the frame (texts, whether the visitor
//! may start and stop connections, the gateway's URL); the script (`assets/devices.js`)
//! loads what it shows from `/api/…`, follows `/events`, and starts and stops connections
//! through the gateway.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use modt::protocol::ingest::MAX_HISTORY_POINTS;
use modt_web::{Lang, Page, RequireUser, WebError};

use super::messages::CATALOG;
use super::WebState;

/// Refused-message kinds the parse log's filter offers, by wire name.
pub const FAILURE_KINDS: [&str; 6] = [
    "not_json",
    "too_large",
    "schema",
    "mapping",
    "topic",
    "custom",
];

/// `GET /`.
pub async fn show(
    State(s): State<WebState>,
    lang: Lang,
    RequireUser(user): RequireUser,
) -> Result<Response, WebError> {
    let html = s.pages.render(
        "devices.html",
        lang,
        CATALOG.text(lang, "title"),
        Some(&user),
        minijinja::context! {
            api => s.gateway.url(),
            admin => user.is_admin(),
            history_points => MAX_HISTORY_POINTS,
            kinds => FAILURE_KINDS,
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
