//! # modt-viewer — a web console for a user's keys
//!
//! The logged-in user's keys in the state unit: a table of key, value (pretty JSON), version
//! and last write; add or update a key with a JSON-aware editor; delete one key; clear all
//! after a confirmation. Admins can open any user's keys. Every change goes through the
//! correlated extension, so the page shows it only after the state unit acknowledged it on
//! disk; changes made elsewhere appear live (`modt/state/changed/{user_id}`).
//!
//! - [`config`]: the settings, [`ViewerConfig`].
//! - [`value`]: what the editor accepts (JSON, or plain text without quotes).
//! - [`state`]: the typed, acknowledged calls to the state unit.
//! - [`live`]: one subscription to change events, fanned out to open pages.
//! - [`health`]: whether the broker and the state unit are there, as open pages are told.
//! - [`web`]: the pages.
//! - [`messages`]: texts in English and Japanese.
//! - [`unit`]: puts it together as a [`modt::Unit`].
//! - [`args`]: the unit's flags ([`Args`]); [`build`]: the unit for a program ([`build()`]).

pub mod args;
pub mod build;
pub mod config;
pub mod health;
pub mod live;
pub mod messages;
pub mod state;
pub mod unit;
pub mod value;
pub mod web;

pub use args::{Args, ABOUT};
pub use build::build;
pub use config::ViewerConfig;
pub use unit::{unit, KIND, NAME};
