//! Step 2 of every app: know who is visiting. The app's one page, `GET /`.
//!
//! The browser brings the `modt_session_id` cookie (set by the identify unit; every port of
//! the same host shares it). The [`RequireUser`] extractor asks the identify unit who it
//! belongs to (a private, correlated session query, through the [`Gatekeeper`] in the app's
//! state) and hands the handler a logged-in user. Everyone else gets this app's
//! [`SignedOutPages`]: a friendly page with a way to log in that comes back here, or, when the
//! identify unit is silent, a message after a short timeout — never a hang.

use std::sync::Arc;

use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use modt::Directory;
use modt_web::extract::{Refusal, RefusalPages};
use modt_web::{Gatekeeper, Lang, Page, RequireUser, SessionUser, Templates, WebError};

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
    /// Who is visiting: session queries and the way to the login page.
    pub gate: Gatekeeper,
    /// Compiled pages.
    pub templates: Arc<Templates>,
    /// The viewer's URL, if configured (else found through presence).
    pub viewer_url: Option<String>,
}

impl FromRef<PageState> for Gatekeeper {
    fn from_ref(s: &PageState) -> Gatekeeper {
        s.gate.clone()
    }
}

/// `GET /`.
pub async fn show(
    State(s): State<PageState>,
    lang: Lang,
    RequireUser(user): RequireUser,
) -> Result<Response, WebError> {
    let viewer = s
        .viewer_url
        .clone()
        .or_else(|| s.gate.directory().url_of_kind("viewer"));
    let html = render(
        &s.templates,
        s.gate.directory(),
        s.gate.public_url(),
        Shown {
            name: "app.html",
            lang,
            title_key: "hello_title",
            user: Some(&user),
        },
        minijinja::context! {
            viewer_url => viewer,
            todo_url => s.gate.directory().url_of_kind("todo"),
            logout_url => s.gate.logout_url(),
        },
    )?;
    Ok(Page::new(html).into_response())
}

/// The app's page for visitors who are not logged in (200, with a login link that comes
/// back here) and for a silent identify unit (503).
#[derive(Debug, Clone)]
pub struct SignedOutPages {
    /// Compiled pages.
    pub templates: Arc<Templates>,
    /// Which units are online (the header's links).
    pub directory: Directory,
    /// The app's own public URL.
    pub public_url: String,
}

impl RefusalPages for SignedOutPages {
    fn render(&self, lang: Lang, refusal: &Refusal) -> Response {
        let (login_url, expired, status) = match refusal {
            Refusal::SignedOut { login, expired } => (login.clone(), *expired, StatusCode::OK),
            Refusal::Unavailable => (None, false, StatusCode::SERVICE_UNAVAILABLE),
            // This app asks for no role.
            other => return modt_web::extract::DefaultPages.render(lang, other),
        };
        let page = Shown {
            name: "signed_out.html",
            lang,
            title_key: "signed_out_title",
            user: None,
        };
        let extra = minijinja::context! { login_url => login_url, expired => expired };
        match render(
            &self.templates,
            &self.directory,
            &self.public_url,
            page,
            extra,
        ) {
            Ok(html) => Page::new(html).status(status).into_response(),
            Err(e) => e.into_response(),
        }
    }
}

/// Which page to render, for whom.
struct Shown<'a> {
    name: &'a str,
    lang: Lang,
    title_key: &'static str,
    user: Option<&'a SessionUser>,
}

fn render(
    templates: &Templates,
    directory: &Directory,
    public_url: &str,
    page: Shown<'_>,
    extra: minijinja::Value,
) -> Result<String, WebError> {
    let Shown {
        name,
        lang,
        title_key,
        user,
    } = page;
    let title = CATALOG.text(lang, title_key);
    let admin = user.map(SessionUser::is_admin);
    let nav = modt_web::nav::Nav::build(directory, lang, admin, public_url);
    let extra = minijinja::context! { nav => nav, ..extra };
    templates.page(name, lang, &CATALOG, title, user, extra)
}
