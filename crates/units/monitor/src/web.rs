//! The monitor's web side: what handlers share ([`WebState`]) and its routes.
//!
//! - `GET /`: the page ([`crate::page`]).
//! - `GET /feed` (WebSocket): the live stream ([`crate::feed`]).
//! - `GET /assets/monitor.js`: the page's script (CSP forbids inline scripts).
//! - `GET /assets/modt.css`, the icon, `GET /healthz`.

use std::sync::Arc;

use axum::extract::FromRef;
use axum::routing::get;
use axum::Router;
use modt_web::Gatekeeper;
use tokio_util::sync::CancellationToken;

use crate::live::Live;
use crate::page::MonitorPages;

/// The page's script.
pub const SCRIPT: &str = include_str!("../assets/monitor.js");

/// What the page and feed handlers need.
#[derive(Debug, Clone)]
pub struct WebState {
    /// Who is visiting (session queries, the login page) for the extractors.
    pub gate: Gatekeeper,
    /// Compiled pages with what they show around them.
    pub pages: MonitorPages,
    /// Buffer, counts and feeds.
    pub live: Arc<Live>,
    /// Fires when the unit stops: open WebSockets close.
    pub shutdown: CancellationToken,
    /// Messages the buffer keeps (shown on the page).
    pub buffer_capacity: usize,
}

impl FromRef<WebState> for Gatekeeper {
    fn from_ref(s: &WebState) -> Gatekeeper {
        s.gate.clone()
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
