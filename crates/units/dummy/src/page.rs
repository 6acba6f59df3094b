//! Step 2 of every app: know who is visiting. The app's one page, `GET /`.
//!
//! The browser brings the `modt_session_id` cookie (set by the identify unit; every port of
//! the same host shares it). [`modt_web::identity::resolve`] asks the identify unit who it
//! belongs to with a private, correlated session query. Then: a logged-in user sees who they
//! are; anyone else gets a friendly page with a way to log in; a silent identify unit is a
//! message after a short timeout, never a hang.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use modt::{Asker, Directory};
use modt_web::identity::{self, Visitor};
use modt_web::{Lang, LangQuery, Page, SessionUser, Templates, WebError};

use crate::messages::CATALOG;

/// The pages' templates, compiled into the binary.
pub const TEMPLATES: &[(&str, &str)] = &[
    ("app.html", include_str!("../templates/app.html")),
    (
        "signed_out.html",
        include_str!("../templates/signed_out.html"),
    ),
];

/// What the page handler needs.
#[derive(Debug, Clone)]
pub struct PageState {
    /// Session queries, privately or the original's way.
    pub asker: Asker,
    /// Which units are online (to find the identify unit and the viewer).
    pub directory: Directory,
    /// Compiled pages.
    pub templates: Arc<Templates>,
    /// The identify unit's URL, if configured (else found through presence).
    pub identify_url: Option<String>,
    /// The viewer's URL, if configured (else found through presence).
    pub viewer_url: Option<String>,
    /// How long to wait for the identify unit.
    pub timeout: Duration,
    /// The app's own public URL (where a login comes back to).
    pub public_url: String,
}

/// `GET /`.
pub async fn show(
    State(s): State<PageState>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let lang = Lang::choose(&headers, q.lang.as_deref());
    let identify = s
        .identify_url
        .clone()
        .or_else(|| s.directory.url_of_kind("identify"));
    let visitor = match identity::resolve(&s.asker, &headers, s.timeout).await {
        Ok(v) => v,
        Err(WebError::Unavailable(why)) => {
            tracing::warn!(%why, "identify unit unavailable");
            return signed_out(&s, lang, None, false, StatusCode::SERVICE_UNAVAILABLE);
        }
        Err(e) => return Err(e),
    };
    match visitor {
        Visitor::User(user) => signed_in(&s, lang, &user, identify),
        Visitor::Anonymous => {
            let login = identify.map(|u| modt_web::nav::login_url(&u, &s.public_url));
            signed_out(&s, lang, login, false, StatusCode::OK)
        }
        Visitor::Expired => {
            let login =
                identify.map(|u| modt_web::nav::login_url(&u, &s.public_url) + "&expired=1");
            signed_out(&s, lang, login, true, StatusCode::OK)
        }
    }
}

fn signed_in(
    s: &PageState,
    lang: Lang,
    user: &SessionUser,
    identify: Option<String>,
) -> Result<Response, WebError> {
    let viewer = s
        .viewer_url
        .clone()
        .or_else(|| s.directory.url_of_kind("viewer"));
    let html = render(
        s,
        "app.html",
        lang,
        "hello_title",
        Some(user),
        minijinja::context! {
            viewer_url => viewer,
            logout_url => identify.map(|u| format!("{u}/logout")),
        },
    )?;
    Ok(Page::new(html).into_response())
}

fn signed_out(
    s: &PageState,
    lang: Lang,
    login_url: Option<String>,
    expired: bool,
    status: StatusCode,
) -> Result<Response, WebError> {
    let html = render(
        s,
        "signed_out.html",
        lang,
        "signed_out_title",
        None,
        minijinja::context! { login_url => login_url, expired => expired },
    )?;
    Ok(Page::new(html).status(status).into_response())
}

fn render(
    s: &PageState,
    name: &str,
    lang: Lang,
    title_key: &'static str,
    user: Option<&SessionUser>,
    extra: minijinja::Value,
) -> Result<String, WebError> {
    let title = CATALOG.text(lang, title_key);
    let admin = user.map(SessionUser::is_admin);
    let nav = modt_web::nav::Nav::build(&s.directory, lang, admin, &s.public_url);
    let extra = minijinja::context! { nav => nav, ..extra };
    s.templates.page(name, lang, &CATALOG, title, user, extra)
}
