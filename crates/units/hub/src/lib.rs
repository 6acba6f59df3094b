//! # modt-hub — the hub unit
//!
//! The registry of the original MoDT design (docs/protocol.md §2): any unit asks on
//! `modt/{unit}/GET|POST|PUT` with an `id`, a `key` and (POST/PUT) a `value`, and the hub answers
//! on `modt/{unit}/response` with the `id` echoed. Keys are global, shared by every unit. A GET
//! finds a live value (status 200), else a static default from a YAML or JSON file (203), else
//! nothing (404). Live values are kept in SQLite and survive restarts. With `reply_to` (or an
//! MQTT 5 response topic) the answer is private, and a POST/PUT is acknowledged only once the
//! value is on disk (§3).
//!
//! - [`store`]: the [`HubStore`] trait (ordered jobs, durable writes) on SQLite (`modt_hub.db`)
//!   or PostgreSQL (schema `modt_hub`), and [`store::open`] for a `modt_store::Location`.
//! - [`defaults`]: [`Defaults`], the static defaults file.
//! - [`limits`]: [`Limits`], the size limits of docs/protocol.md §5.
//! - `handlers`: one file per verb family (`get`, `post_put`): decode → apply → answer.
//! - [`unit`]: wiring the handlers into a [`modt::Unit`].
//! - [`args`]: the unit's flags ([`Args`]); [`build`]: the unit for a program ([`build()`]).
//!
//! A unit that asks the hub uses the SDK's [`modt::HubClient`].

pub mod args;
pub mod build;
pub mod defaults;
mod handlers;
pub mod limits;
pub mod store;
pub mod unit;

pub use args::{Args, ABOUT};
pub use build::build;
pub use defaults::{Defaults, DefaultsError};
pub use limits::Limits;
pub use store::{
    HubStore, Pending, PostgresHubStore, SqliteHubStore, StoreError, WriteMode, DB_FILE,
};
pub use unit::{unit, HubConfig, NAME};
