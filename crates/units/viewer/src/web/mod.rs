//! The viewer's pages.
//!
//! - [`keys`]: `GET /` (the keys page) and `GET /table` (its table, for live refreshes).
//! - [`edit`]: `POST /set`, `POST /delete`, `POST /clear` (with a confirmation step).
//! - [`events`]: `GET /events`, server-sent change notices for the user on screen.
//! - [`view_data`]: `GET /view-data?session_id=…`, the original viewer's address.
//!
//! Every page resolves the visitor from the session cookie. Users see their own keys; admins
//! may open anyone's with `?user=`. Every form carries a CSRF token.

pub mod edit;
pub mod events;
pub mod keys;
pub mod view_data;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use modt::{Asker, Directory};
use modt_web::cookies::CookieScope;
use modt_web::identity::{self, Visitor};
use modt_web::nav::Nav;
use modt_web::{Lang, Page, SessionUser, Templates, WebError};
use tokio_util::sync::CancellationToken;

use crate::live::Live;
use crate::messages::CATALOG;
use crate::state::StateApi;

/// Largest value the editor sends, in bytes (the state unit's default limit; the page checks
/// it before sending, and the state unit has the last word with its own limit).
pub const MAX_VALUE_BYTES: usize = 256 * 1024;

/// Largest form accepted: a value of [`MAX_VALUE_BYTES`] even when form encoding triples it
/// (`%XX` for every byte), plus the other fields. Past it the visitor gets the styled 413 page
/// ([`modt_web::error_pages::styled_too_large`]).
pub const MAX_BODY_BYTES: usize = 3 * MAX_VALUE_BYTES + 16 * 1024;

/// The pages' templates, compiled into the binary.
pub const TEMPLATES: &[(&str, &str)] = &[
    ("keys.html", include_str!("../../templates/keys.html")),
    ("table.html", include_str!("../../templates/table.html")),
    (
        "confirm_clear.html",
        include_str!("../../templates/confirm_clear.html"),
    ),
    ("problem.html", include_str!("../../templates/problem.html")),
];

/// What every handler gets.
#[derive(Debug, Clone)]
pub struct WebState {
    /// Session queries, privately or the original's way.
    pub asker: Asker,
    /// The state unit's calls.
    pub state: StateApi,
    /// Change events.
    pub live: Live,
    /// Which units are online (to find the login page).
    pub directory: Directory,
    /// Compiled pages.
    pub templates: Arc<Templates>,
    /// How the CSRF cookie is scoped.
    pub scope: CookieScope,
    /// The identify unit's URL, if configured.
    pub identify_url: Option<String>,
    /// The viewer's own public URL (where a login comes back to).
    pub public_url: String,
    /// How long to wait for identify.
    pub timeout: std::time::Duration,
    /// Fires when the unit stops (ends event streams).
    pub shutdown: CancellationToken,
}

/// The router of every page.
pub fn router(state: WebState) -> Router {
    let routes = Router::new()
        .route("/", get(keys::show))
        .route("/table", get(keys::table))
        .route("/set", post(edit::set))
        .route("/delete", post(edit::delete))
        .route("/clear", post(edit::clear))
        .route("/events", get(events::stream))
        .route("/view-data", get(view_data::show))
        .route(
            "/assets/viewer.js",
            get(|| async { modt_web::assets::script(include_str!("../../assets/viewer.js")) }),
        )
        .route("/healthz", get(|| async { "ok" }))
        .merge(modt_web::assets::routes())
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state);
    modt_web::headers::secure(routes)
}

/// Whose keys a request may see, or the page that says why not.
pub(crate) enum Access {
    /// Allowed: the visitor, and the user whose keys are shown.
    Granted(SessionUser, String),
    /// A page to show instead.
    Denied(Response),
}

impl WebState {
    /// Renders `name` with the shared context plus `extra`.
    pub(crate) fn render(
        &self,
        name: &str,
        lang: Lang,
        title: &str,
        user: Option<&SessionUser>,
        extra: minijinja::Value,
    ) -> Result<String, WebError> {
        let admin = user.map(SessionUser::is_admin);
        let nav = Nav::build(&self.directory, lang, admin, &self.public_url);
        let extra = minijinja::context! { nav => nav, ..extra };
        self.templates
            .page(name, lang, &CATALOG, title, user, extra)
    }

    /// A short page with a heading and a sentence.
    pub(crate) fn problem(
        &self,
        lang: Lang,
        status: StatusCode,
        heading: &'static str,
        lead: &'static str,
        login_url: Option<String>,
        user: Option<&SessionUser>,
    ) -> Result<Response, WebError> {
        let title = CATALOG.text(lang, heading);
        let html = self.render(
            "problem.html",
            lang,
            title,
            user,
            minijinja::context! {
                heading => title,
                lead => CATALOG.text(lang, lead),
                login_url => login_url,
                back => user.is_some(),
            },
        )?;
        Ok(Page::new(html).status(status).into_response())
    }

    /// Resolves the visitor and checks they may see `requested` user's keys (their own when
    /// `None`).
    pub(crate) async fn access(
        &self,
        headers: &HeaderMap,
        lang: Lang,
        requested: Option<&str>,
    ) -> Result<Access, WebError> {
        let login = self
            .identify_url
            .clone()
            .or_else(|| self.directory.url_of_kind("identify"));
        let visitor = match identity::resolve(&self.asker, headers, self.timeout).await {
            Ok(v) => v,
            Err(WebError::Unavailable(_)) => {
                let page = self.problem(
                    lang,
                    StatusCode::SERVICE_UNAVAILABLE,
                    "signed_out_title",
                    "no_identify",
                    None,
                    None,
                )?;
                return Ok(Access::Denied(page));
            }
            Err(e) => return Err(e),
        };
        let user = match visitor {
            Visitor::User(u) => u,
            Visitor::Anonymous | Visitor::Expired => {
                let login = login.map(|u| modt_web::nav::login_url(&u, &self.public_url));
                let status = if login.is_some() {
                    StatusCode::UNAUTHORIZED
                } else {
                    StatusCode::SERVICE_UNAVAILABLE
                };
                let lead = if login.is_some() {
                    "signed_out_lead"
                } else {
                    "no_identify"
                };
                let page = self.problem(lang, status, "signed_out_title", lead, login, None)?;
                return Ok(Access::Denied(page));
            }
        };
        let target = match requested.filter(|r| !r.is_empty()) {
            Some(r) if r != user.user_id && !user.is_admin() => {
                let page = self.problem(
                    lang,
                    StatusCode::FORBIDDEN,
                    "forbidden_title",
                    "forbidden_lead",
                    None,
                    Some(&user),
                )?;
                return Ok(Access::Denied(page));
            }
            Some(r) => r.to_string(),
            None => user.user_id.clone(),
        };
        Ok(Access::Granted(user, target))
    }

    /// The page for a state unit that did not answer.
    pub(crate) fn unavailable(&self, lang: Lang, user: &SessionUser) -> Result<Response, WebError> {
        self.problem(
            lang,
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable_title",
            "unavailable_lead",
            None,
            Some(user),
        )
    }
}
