//! `GET /`: the monitor page for administrators; a friendly way to log in for anyone else.
//!
//! - An administrator gets the page; its script opens the WebSocket ([`crate::feed`]).
//! - Not logged in (or a session that ended): a page linking to the identify unit's login.
//! - Logged in without the admin role: a clear 403 page.
//! - The identify unit silent: a clear 503 page after the timeout, never a hang.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use modt_web::{Lang, LangQuery, Page, SessionUser, WebError};

use crate::access::{self, Access};
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

/// `GET /`.
pub async fn show(
    State(s): State<WebState>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let lang = Lang::choose(&headers, q.lang.as_deref());
    let identify = s.identify_url();
    match access::check(&s, &headers).await? {
        Access::Admin(user) => {
            let extra = minijinja::context! {
                buffer => s.buffer_capacity,
                logout_url => identify.map(|u| format!("{u}/logout")),
            };
            let html = render(
                &s,
                "monitor.html",
                lang,
                "monitor_title",
                Some(&user),
                extra,
            )?;
            Ok(Page::new(html).into_response())
        }
        Access::NotAdmin(user) => {
            let html = render(
                &s,
                "forbidden.html",
                lang,
                "forbidden_title",
                Some(&user),
                minijinja::context! { logout_url => identify.map(|u| format!("{u}/logout")) },
            )?;
            Ok(Page::new(html)
                .status(StatusCode::FORBIDDEN)
                .into_response())
        }
        Access::Anonymous => {
            let login = identify.map(|u| modt_web::nav::login_url(&u, &s.public_url));
            signed_out(&s, lang, login, false)
        }
        Access::Expired => {
            let login = identify.map(|u| modt_web::nav::login_url(&u, &s.public_url));
            signed_out(&s, lang, login.map(|l| l + "&expired=1"), true)
        }
        Access::Unavailable => {
            let html = render(
                &s,
                "signed_out.html",
                lang,
                "unavailable_title",
                None,
                minijinja::context! { login_url => None::<String>, expired => false },
            )?;
            Ok(Page::new(html)
                .status(StatusCode::SERVICE_UNAVAILABLE)
                .into_response())
        }
    }
}

fn signed_out(
    s: &WebState,
    lang: Lang,
    login_url: Option<String>,
    expired: bool,
) -> Result<Response, WebError> {
    let html = render(
        s,
        "signed_out.html",
        lang,
        "signed_out_title",
        None,
        minijinja::context! { login_url => login_url, expired => expired },
    )?;
    Ok(Page::new(html).into_response())
}

fn render(
    s: &WebState,
    name: &str,
    lang: Lang,
    title_key: &'static str,
    user: Option<&SessionUser>,
    extra: minijinja::Value,
) -> Result<String, WebError> {
    // `Templates::page` gives `base.html` everything it expects, as for every web unit.
    let title = CATALOG.text(lang, title_key);
    let admin = user.map(SessionUser::is_admin);
    let nav = modt_web::nav::Nav::build(&s.directory, lang, admin, &s.public_url);
    let extra = minijinja::context! { nav => nav, ..extra };
    s.templates.page(name, lang, &CATALOG, title, user, extra)
}
