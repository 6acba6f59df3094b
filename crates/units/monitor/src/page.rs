//! `GET /`: the monitor page for administrators ([`RequireAdmin`]); a friendly way to log in
//! for anyone else ([`MonitorPages`], the monitor's refusal pages).
//!
//! - An administrator gets the page; its script opens the WebSocket ([`crate::feed`]).
//! - Not logged in (or a session that ended): a page linking to the identify unit's login.
//! - Logged in without the admin role: a clear 403 page.
//! - The identify unit silent: a clear 503 page after the timeout, never a hang.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use modt::Directory;
use modt_web::extract::{Refusal, RefusalPages};
use modt_web::{Lang, Page, RequireAdmin, SessionUser, Templates, WebError};

use crate::messages::CATALOG;
use crate::web::WebState;

/// The pages' templates, compiled into the binary.
pub const TEMPLATES: &[(&str, &str)] = &[
    ("monitor.html", include_str!("../templates/monitor.html")),
    (
        "signed_out.html",
        include_str!("../templates/signed_out.html"),
    ),
    (
        "forbidden.html",
        include_str!("../templates/forbidden.html"),
    ),
];

/// The rows the page keeps (`MAX_ROWS` in assets/monitor.js): a fresh page shows at most this
/// many of the buffer's messages, and its hint says so.
pub const PAGE_ROWS: usize = 500;

/// `GET /`.
pub async fn show(
    State(s): State<WebState>,
    lang: Lang,
    RequireAdmin(user): RequireAdmin,
) -> Result<Response, WebError> {
    let extra = minijinja::context! {
        buffer => s.buffer_capacity.min(PAGE_ROWS),
        logout_url => s.gate.logout_url(),
    };
    let html = s
        .pages
        .render("monitor.html", lang, "monitor_title", Some(&user), extra)?;
    Ok(Page::new(html).into_response())
}

/// The monitor's pages: the layout with its header, and the pages for visitors who may not
/// watch.
#[derive(Debug, Clone)]
pub struct MonitorPages {
    /// Compiled pages.
    pub templates: Arc<Templates>,
    /// Which units are online (the header's links, the logout page).
    pub directory: Directory,
    /// The monitor's own public URL.
    pub public_url: String,
    /// The identify unit's URL, if configured (else found through presence).
    pub identify_url: Option<String>,
}

impl MonitorPages {
    /// Renders `name` with the shared context plus `extra`.
    pub fn render(
        &self,
        name: &str,
        lang: Lang,
        title_key: &'static str,
        user: Option<&SessionUser>,
        extra: minijinja::Value,
    ) -> Result<String, WebError> {
        // `Templates::page` gives `base.html` everything it expects, as for every web unit.
        let title = CATALOG.text(lang, title_key);
        let admin = user.map(SessionUser::is_admin);
        let nav = modt_web::nav::Nav::build(&self.directory, lang, admin, &self.public_url);
        let extra = minijinja::context! { nav => nav, ..extra };
        self.templates
            .page(name, lang, &CATALOG, title, user, extra)
    }

    fn logout_url(&self) -> Option<String> {
        self.identify_url
            .clone()
            .or_else(|| self.directory.url_of_kind(modt_web::nav::IDENTIFY_KIND))
            .map(|u| format!("{}/logout", u.trim_end_matches('/')))
    }

    fn refusal(&self, lang: Lang, refusal: &Refusal) -> Result<Response, WebError> {
        let (name, title, status, user, extra) = match refusal {
            Refusal::NotAdmin(user) => (
                "forbidden.html",
                "forbidden_title",
                StatusCode::FORBIDDEN,
                Some(user),
                minijinja::context! { logout_url => self.logout_url() },
            ),
            Refusal::SignedOut { login, expired } => (
                "signed_out.html",
                "signed_out_title",
                StatusCode::OK,
                None,
                minijinja::context! { login_url => login, expired => expired },
            ),
            _ => (
                "signed_out.html",
                "unavailable_title",
                StatusCode::SERVICE_UNAVAILABLE,
                None,
                minijinja::context! { login_url => None::<String>, expired => false },
            ),
        };
        let html = self.render(name, lang, title, user, extra)?;
        Ok(Page::new(html).status(status).into_response())
    }
}

impl RefusalPages for MonitorPages {
    fn render(&self, lang: Lang, refusal: &Refusal) -> Response {
        self.refusal(lang, refusal)
            .unwrap_or_else(IntoResponse::into_response)
    }
}
