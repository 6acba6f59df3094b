//! The gateway's HTTP side: one catch-all handler for the route table ([`api`]), the
//! gateway's own endpoints ([`health`], [`docs`]), CORS ([`cors`]) and the security headers
//! every MoDT web side sends; [`messages`] holds the texts of its page.

pub(crate) mod api;
pub(crate) mod cors;
pub(crate) mod docs;
pub(crate) mod health;
pub(crate) mod messages;

use std::sync::Arc;

use axum::routing::{any, get};
use axum::Router;
use modt::Client;
use modt_web::UnitPages;

use crate::auth::jwks::KeyRing;
use crate::auth::Authenticator;
use crate::limit::RateLimits;
use crate::presence::Presence;
use crate::routes::RouteTable;

/// The documentation page; `GET /`, when no route claims it, redirects here.
pub(crate) const DOCS_PATH: &str = "/docs";

/// The gateway's own paths; a route file may not use them.
pub(crate) const RESERVED_PATHS: &[&str] = &[
    "/healthz",
    "/readyz",
    "/openapi.json",
    "/docs",
    "/docs/docs.js",
    "/docs/docs.css",
    "/.well-known/jwks.json",
    "/assets/modt.css",
    "/assets/favicon.svg",
    "/favicon.ico",
];

/// What every handler shares: a cheap handle (axum clones the state for every request).
#[derive(Debug, Clone)]
pub(crate) struct Gateway(Arc<Parts>);

impl Gateway {
    pub(crate) fn new(parts: Parts) -> Self {
        Gateway(Arc::new(parts))
    }
}

impl std::ops::Deref for Gateway {
    type Target = Parts;

    fn deref(&self) -> &Parts {
        &self.0
    }
}

/// The gateway's shared parts.
#[derive(Debug)]
pub(crate) struct Parts {
    pub(crate) table: Arc<RouteTable>,
    pub(crate) client: Client,
    pub(crate) auth: Authenticator,
    pub(crate) limits: Arc<RateLimits>,
    pub(crate) presence: Presence,
    pub(crate) ring: Arc<KeyRing>,
    /// The OpenAPI document, rendered once.
    pub(crate) openapi: Arc<str>,
    /// The docs page with the header every MoDT page has.
    pub(crate) pages: UnitPages,
}

/// The router: the gateway's own endpoints, then every other path through the route table.
pub(crate) fn router(gateway: Gateway) -> Router {
    let cors = cors::layer(gateway.presence.clone());
    let router = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/openapi.json", get(docs::openapi))
        .route(DOCS_PATH, get(docs::page))
        .route("/docs/docs.js", get(docs::script))
        .route("/docs/docs.css", get(docs::style))
        .route("/.well-known/jwks.json", get(docs::jwks))
        .merge(modt_web::assets::routes())
        .route("/", any(api::handle))
        .route("/{*path}", any(api::handle))
        .with_state(gateway);
    modt_web::headers::secure(router).layer(cors)
}
