//! # modt-dummy — the sample app, and the template for new apps
//!
//! Copy this crate to start an app. It shows the two things every MoDT app does:
//!
//! 1. **Join the login handshake** ([`handshake`]): when the identify unit announces a login
//!    on `modt/auth/success`, answer `modt/app/ready` with the page the browser should open.
//! 2. **Know who is visiting** ([`page`]): read the `modt_session_id` cookie and ask the
//!    identify unit who it belongs to (a private, correlated `modt/session/query`).
//!
//! - [`config`]: [`DummyConfig`], the app's settings.
//! - [`handshake`]: the `modt/auth/success` handler.
//! - [`page`]: the app's one page, `GET /`.
//! - [`messages`]: its texts in English and Japanese.
//! - [`unit`]: puts it together as a [`modt::Unit`].
//! - [`args`]: the unit's flags ([`Args`]); [`build`]: the unit for a program ([`build()`]).

pub mod args;
pub mod build;
pub mod config;
pub mod handshake;
pub mod messages;
pub mod page;
pub mod unit;

pub use args::{Args, ABOUT};
pub use build::build;
pub use config::DummyConfig;
pub use unit::{unit, KIND, NAME};
