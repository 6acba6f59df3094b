//! The viewer's pages.
//!
//! - [`keys`]: `GET /` (the keys page) and `GET /table` (its table, for live refreshes).
//! - [`edit`]: `POST /set`, `POST /delete`, `POST /clear` (with a confirmation step).
//! - [`events`]: `GET /events`, server-sent change notices for the user on screen.
//! - [`view_data`]: `GET /view-data?session_id=…`, the original viewer's address.
//!
//! Every page takes the visitor with [`modt_web::RequireUser`] (anyone else gets
//! [`UnitPages`]' problem page: log in, or the sign-in service is down). Users see their own keys;
//! admins may open anyone's with `?user=` ([`WebState::target`]). Every form carries a CSRF
//! token.

pub mod edit;
pub mod events;
pub mod keys;
pub mod view_data;

use axum::extract::{DefaultBodyLimit, FromRef};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use modt_web::cookies::CookieScope;
use modt_web::unit_pages::Problem;
use modt_web::{Gatekeeper, Lang, SessionUser, UnitPages, WebError};
use tokio_util::sync::CancellationToken;

use crate::live::Live;
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
    /// Who is visiting (session queries, the login page) for the extractors.
    pub gate: Gatekeeper,
    /// The state unit's calls.
    pub state: StateApi,
    /// Change events.
    pub live: Live,
    /// Compiled pages with what they show around them (the problem page answers refused
    /// visitors too).
    pub pages: UnitPages,
    /// How the CSRF cookie is scoped.
    pub scope: CookieScope,
    /// Fires when the unit stops (ends event streams).
    pub shutdown: CancellationToken,
}

impl FromRef<WebState> for Gatekeeper {
    fn from_ref(s: &WebState) -> Gatekeeper {
        s.gate.clone()
    }
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

impl WebState {
    /// Whose keys `user` may see: `requested` (their own when `None` or empty); another
    /// user's only for administrators, else `None` (show [`WebState::forbidden`]).
    pub(crate) fn target(&self, user: &SessionUser, requested: Option<&str>) -> Option<String> {
        match requested.filter(|r| !r.is_empty()) {
            Some(r) if r != user.user_id && !user.is_admin() => None,
            Some(r) => Some(r.to_string()),
            None => Some(user.user_id.clone()),
        }
    }

    /// The 403 page for a user asking for someone else's keys.
    pub(crate) fn forbidden(&self, lang: Lang, user: &SessionUser) -> Response {
        let problem = Problem {
            status: StatusCode::FORBIDDEN,
            heading: "forbidden_title",
            lead: "forbidden_lead",
            login_url: None,
            user: Some(user),
        };
        self.pages
            .problem(lang, problem)
            .unwrap_or_else(IntoResponse::into_response)
    }

    /// The page for a state unit that did not answer.
    pub(crate) fn unavailable(&self, lang: Lang, user: &SessionUser) -> Result<Response, WebError> {
        self.pages.problem(
            lang,
            Problem {
                status: StatusCode::SERVICE_UNAVAILABLE,
                heading: "unavailable_title",
                lead: "unavailable_lead",
                login_url: None,
                user: Some(user),
            },
        )
    }
}
