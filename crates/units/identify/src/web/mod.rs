//! The identify unit's web side: one file per page.
//!
//! - [`login`]: `GET/POST /login`, and the login steps `POST /api/login` shares.
//! - [`register`]: `GET/POST /register`.
//! - [`logout`]: `GET/POST /logout`.
//! - [`waiting`]: `GET /waiting` and its event stream `GET /waiting/events`.
//! - [`home`]: `GET /`, the signed-in user's start page.
//! - [`api`]: `POST /api/login` for non-browser clients.
//! - [`jwks`]: `GET /.well-known/jwks.json`, the keys access tokens are signed with.
//! - [`signed_in`]: [`signed_in::SignedIn`], the extractor for this unit's own sessions.
//! - [`messages`]: the pages' texts in English and Japanese.

pub mod api;
pub mod home;
pub mod jwks;
pub mod login;
pub mod logout;
pub mod messages;
pub mod register;
pub mod signed_in;
pub mod waiting;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Extension};
use axum::http::HeaderMap;
use axum::routing::get;
use axum::Router;
use modt::{Client, Directory};
use modt_web::cookies::{self, CookieScope};
use modt_web::nav::Nav;
use modt_web::{Lang, Templates, WebError};

pub use modt_web::LangQuery;
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use crate::core::Identity;
use crate::sessions::SessionKey;
use crate::store::User;

/// Largest form or JSON body accepted.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// The pages' templates, compiled into the binary.
pub const TEMPLATES: &[(&str, &str)] = &[
    ("login.html", include_str!("../../templates/login.html")),
    (
        "register.html",
        include_str!("../../templates/register.html"),
    ),
    ("waiting.html", include_str!("../../templates/waiting.html")),
    ("logout.html", include_str!("../../templates/logout.html")),
    ("home.html", include_str!("../../templates/home.html")),
];

/// What every page handler gets.
#[derive(Debug, Clone)]
pub struct WebState {
    /// Store, settings, handshakes, throttle.
    pub identity: Arc<Identity>,
    /// The unit's MQTT client (to announce logins).
    pub client: Client,
    /// Which units are online (the apps to offer).
    pub directory: Directory,
    /// Compiled pages.
    pub templates: Arc<Templates>,
    /// How cookies are scoped.
    pub scope: CookieScope,
    /// The unit's own public URL (its place in the header's links).
    pub public_url: String,
    /// Fires when the unit stops (ends live event streams).
    pub shutdown: CancellationToken,
}

/// The router of every page.
pub fn router(state: WebState) -> Router {
    let routes = Router::new()
        .route("/", get(home::show))
        .route("/login", get(login::show).post(login::submit))
        .route("/register", get(register::show).post(register::submit))
        .route("/logout", get(logout::show).post(logout::submit))
        .route("/waiting", get(waiting::show))
        .route("/waiting/events", get(waiting::events))
        .route(
            "/assets/waiting.js",
            get(|| async { modt_web::assets::script(include_str!("../../assets/waiting.js")) }),
        )
        .route("/api/login", axum::routing::post(api::login))
        .route(jwks::PATH, get(jwks::show))
        .route("/healthz", get(|| async { "ok" }))
        .merge(modt_web::assets::routes())
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(Extension(waiting::WaitingStreams::default()))
        .with_state(state);
    modt_web::headers::secure(routes)
}

/// An app the user can open, for the fallback and home pages.
#[derive(Debug, Clone, Serialize)]
pub struct AppLink {
    /// Shown name.
    pub name: String,
    /// Its public URL.
    pub url: String,
    /// Where that URL goes (`scheme://host[:port]`), shown beside the name.
    pub origin: String,
}

impl WebState {
    /// Renders a page with the shared context (language, texts, title, user) plus `extra`.
    pub(crate) fn render(
        &self,
        name: &str,
        lang: Lang,
        title_key: &'static str,
        user: Option<&User>,
        extra: minijinja::Value,
    ) -> Result<String, WebError> {
        let title = messages::CATALOG.text(lang, title_key);
        let admin = user.map(|u| u.role.is_admin());
        let nav = Nav::build(&self.directory, lang, admin, &self.public_url);
        let extra = minijinja::context! { nav => nav, ..extra };
        self.templates
            .page(name, lang, &messages::CATALOG, title, user, extra)
    }

    /// The live session of this request's cookie, with its key.
    pub(crate) async fn session(
        &self,
        headers: &HeaderMap,
    ) -> Result<Option<(SessionKey, User)>, WebError> {
        let Some(id) = cookies::session_id(headers) else {
            return Ok(None);
        };
        let key = SessionKey::of(&id);
        let user = self
            .identity
            .session_user(&key)
            .await
            .map_err(|e| WebError::Internal(e.to_string()))?;
        Ok(user.map(|u| (key, u)))
    }

    /// Apps with a web page that are online, except this unit, by their titles in `lang`;
    /// administrators' apps only for administrators.
    pub(crate) fn apps(&self, lang: Lang, user: &User) -> Vec<AppLink> {
        let admin = user.role.is_admin();
        let mut apps: Vec<AppLink> = self
            .directory
            .online_with_url()
            .into_iter()
            .filter(|(_, info)| info.kind != crate::unit::KIND)
            .filter(|(_, info)| admin || !info.admins_only)
            .filter_map(|(_, info)| {
                let url = info.http_url.clone()?;
                Some(AppLink {
                    name: info.title(lang.code()).to_string(),
                    origin: modt::directory::web_origin(&url)?,
                    url,
                })
            })
            .collect();
        apps.sort_by_key(|a| a.name.to_lowercase());
        apps
    }

    /// The title in `lang` of the online unit whose web side `url` is on, if any.
    pub(crate) fn title_of(&self, url: &str, lang: Lang) -> Option<String> {
        let origin = modt::directory::web_origin(url)?;
        self.directory
            .online_with_url()
            .into_iter()
            .find(|(_, info)| {
                info.http_url
                    .as_deref()
                    .and_then(modt::directory::web_origin)
                    == Some(origin.clone())
            })
            .map(|(_, info)| info.title(lang.code()).to_string())
    }

    /// Where a login should go afterwards: `next` if it is safe ([`modt_web::nav::safe_next`]).
    pub(crate) fn next(&self, next: Option<&str>) -> Option<String> {
        next.and_then(|n| modt_web::nav::safe_next(&self.directory, n))
    }

    /// The client's address: the socket peer, or `X-Forwarded-For`'s first entry when the
    /// unit is told it runs behind a proxy.
    pub(crate) fn client_address(&self, peer: SocketAddr, headers: &HeaderMap) -> String {
        if self.identity.config.trust_proxy {
            if let Some(first) = headers
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
            {
                return first.trim().to_string();
            }
        }
        peer.ip().to_string()
    }
}
