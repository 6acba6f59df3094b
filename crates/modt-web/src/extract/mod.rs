//! axum extractors for what every web handler asks first: the visitor's language ([`Lang`]),
//! who is visiting ([`Visitor`]), and who may come in ([`RequireUser`], [`RequireAdmin`]).
//!
//! The identity extractors read a [`Gatekeeper`] from the router's state (`FromRef`): how this
//! unit asks the identify unit about a session cookie, where its login page is, and how this
//! unit's pages say "no" ([`RefusalPages`]). A refused request gets that page — or, when it
//! asked for JSON (an API call, an event stream, a WebSocket), an [`ApiError`] body with 401,
//! 403 or 503.
//!
//! ```
//! use axum::{extract::FromRef, routing::get, Router};
//! use modt_web::extract::{Gatekeeper, RequireUser};
//! use modt_web::Lang;
//!
//! #[derive(Clone)]
//! struct AppState { gate: Gatekeeper }
//! impl FromRef<AppState> for Gatekeeper {
//!     fn from_ref(s: &AppState) -> Gatekeeper { s.gate.clone() }
//! }
//!
//! async fn hello(lang: Lang, RequireUser(user): RequireUser) -> String {
//!     format!("{} {}", if lang == Lang::Ja { "こんにちは" } else { "Hello" }, user.user_id)
//! }
//! fn routes(state: AppState) -> Router {
//!     Router::new().route("/", get(hello)).with_state(state)
//! }
//! ```
//!
//! - [`gate`]: [`Gatekeeper`], what the identity extractors need.
//! - [`lang`]: the [`Lang`] extractor.
//! - [`visitor`]: [`Visitor`], [`RequireUser`], [`RequireAdmin`] and their rejection, [`Refused`].
//! - [`refusal`]: [`Refusal`] (why not) and [`RefusalPages`] (the page that says it).
//!
//! [`ApiError`]: crate::ApiError
//! [`Lang`]: crate::Lang
//! [`Visitor`]: crate::Visitor

pub mod gate;
pub mod lang;
pub mod refusal;
pub mod visitor;

pub use gate::Gatekeeper;
pub use refusal::{DefaultPages, Refusal, RefusalPages};
pub use visitor::{Refused, RequireAdmin, RequireUser};
