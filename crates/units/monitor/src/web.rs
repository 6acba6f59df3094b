//! The monitor's web side: what handlers share ([`WebState`]) and its routes.
//!
//! - `GET /`: the page ([`crate::page`]).
//! - `GET /feed` (WebSocket): the live stream ([`crate::feed`]).
//! - `GET /assets/monitor.js`: the page's script (CSP forbids inline scripts).
//! - `GET /assets/modt.css`, the icon, `GET /healthz`.

use std::sync::Arc;
use std::time::Duration;

use axum::routing::get;
use axum::Router;
use modt::{Asker, Directory};
use modt_web::Templates;
use tokio_util::sync::CancellationToken;

use crate::live::Live;

/// The page's script.
pub const SCRIPT: &str = include_str!("../assets/monitor.js");

/// What the page and feed handlers need.
#[derive(Debug, Clone)]
pub struct WebState {
    /// Session queries, privately or the original's way.
    pub asker: Asker,
    /// Which units are online (to find the identify unit).
    pub directory: Directory,
    /// Compiled pages.
    pub templates: Arc<Templates>,
    /// Buffer, counts and feeds.
    pub live: Arc<Live>,
    /// The identify unit's URL, if configured (else found through presence).
    pub identify_url: Option<String>,
    /// How long to wait for the identify unit.
    pub session_timeout: Duration,
    /// Fires when the unit stops: open WebSockets close.
    pub shutdown: CancellationToken,
    /// Messages the buffer keeps (shown on the page).
    pub buffer_capacity: usize,
    /// The monitor's own public URL (where a login comes back to).
    pub public_url: String,
}

impl WebState {
    /// The identify unit's URL: configured, or from presence.
    pub fn identify_url(&self) -> Option<String> {
        self.identify_url
            .clone()
            .or_else(|| self.directory.url_of_kind("identify"))
    }
}

/// The monitor's router, with the security headers on every response.
pub fn router(state: WebState) -> Router {
    let router = Router::new()
        .route("/", get(crate::page::show))
        .route("/feed", get(crate::feed::connect))
        .route(
            "/assets/monitor.js",
            get(|| async { modt_web::assets::script(SCRIPT) }),
        )
        .route("/healthz", get(|| async { "ok" }))
        .merge(modt_web::assets::routes())
        .with_state(state);
    modt_web::headers::secure(router)
}
