//! # modt-gateway — HTTP calls to units over MQTT
//!
//! A client talks to the gateway only: it matches each HTTP request against a route table,
//! verifies the caller (a bearer JWT from identify's key set, or the session cookie), applies
//! the route's rate and body limits, and forwards the call as an MQTT v5 correlated request
//! carrying a [`modt::protocol::ApiRequest`] to the unit's topic; the unit's
//! [`modt::protocol::ApiReply`] or error reply becomes the HTTP response (docs/protocol.md §7,
//! docs/gateway.md).
//!
//! - [`routes`]: the route table and its file ([`RouteTable`]).
//! - `auth`: who is calling: bearer tokens against the JWK Set, or the session cookie.
//! - `limit`: rate limits per route and caller.
//! - `presence`: which units are online, and which web origins are trusted.
//! - `trace`: request ids and W3C trace context.
//! - `forward`: the ApiRequest out, the reply back as an HTTP response.
//! - [`openapi`]: the OpenAPI 3.1 document, built from the route table.
//! - `http`: the axum side: the catch-all API handler, CORS, health, docs.
//! - [`args`]: the unit's flags ([`Args`]); [`build()`]: the unit for a program.

pub mod args;
mod auth;
pub mod build;
mod forward;
mod http;
mod limit;
pub mod openapi;
mod presence;
pub mod routes;
mod trace;

pub use args::{Args, ABOUT};
pub use build::{build, DEFAULT_PORT, NAME};
pub use routes::{RouteError, RouteTable};
