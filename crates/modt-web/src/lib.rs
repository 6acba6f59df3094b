//! # modt-web — the toolkit every MoDT web unit is built with
//!
//! The identify unit, the sample app, the viewer and the monitor all serve pages. They share
//! the same protections, look, identity checks and live push, from here:
//!
//! - [`extract`]: axum extractors: [`Lang`], [`Visitor`], [`RequireUser`], [`RequireAdmin`]
//!   (with a unit's [`Gatekeeper`] in its state).
//! - [`api_error`]: [`ApiError`], a JSON endpoint's failure: protocol error code → HTTP status,
//!   a stable body, causes logged and not sent.
//! - [`push`]: one MQTT subscription fanned out to many SSE/WebSocket clients, bounded
//!   ([`push::Fanout`]), and server-sent event responses that end at shutdown.
//! - [`gateway`]: finding the API gateway for pages that call it, and their CSP.
//! - [`headers`]: security headers on every response (CSP, frame-ancestors, nosniff, referrer policy).
//! - [`csrf`]: double-submit CSRF tokens plus an `Origin` check, for every form.
//! - [`lang`]: English or Japanese, chosen from `Accept-Language`; message catalogs.
//! - [`cookies`]: reading cookies; the session cookie's name and flags.
//! - [`pages`]: server-rendered templates (minijinja) around one shared layout.
//! - [`unit_pages`]: a unit's pages with the header's links and the problem page that also
//!   answers refused visitors ([`UnitPages`]).
//! - [`assets`]: the shared stylesheet.
//! - [`nav`]: the header's links between web units, and where a login may return to.
//! - [`identity`]: "who is this browser?": the session cookie resolved by a session query.
//! - [`random`]: unguessable tokens from the OS random source.
//! - [`serve`]: binding and serving a router until shutdown.
//! - [`metrics`]: the process's Prometheus recorder, `GET /metrics` on every listener, per-route
//!   HTTP series.
//! - [`error_pages`]: the styled, translated 404 and 413 pages every listener answers with.
//! - [`error`]: [`WebError`], shown to people as a plain page, logged in full.

pub mod api_error;
pub mod assets;
pub mod cookies;
pub mod csrf;
pub mod error;
pub mod error_pages;
pub mod extract;
pub mod gateway;
pub mod headers;
pub mod identity;
pub mod lang;
pub mod metrics;
pub mod nav;
pub mod pages;
pub mod push;
pub mod random;
pub mod serve;
pub mod unit_pages;

pub use api_error::ApiError;
pub use csrf::CsrfToken;
pub use error::WebError;
pub use extract::{Gatekeeper, RequireAdmin, RequireUser};
pub use identity::{SessionUser, Visitor};
pub use lang::{Catalog, Lang, LangQuery};
pub use pages::{Page, Templates};
pub use unit_pages::UnitPages;
