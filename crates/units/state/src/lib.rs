//! # modt-state — the state unit
//!
//! The per-user key-value store of MoDT, served over MQTT (docs/protocol.md §2, `modt/state/*`),
//! wire-compatible with the original db-unit and its SQLite file, plus the correlated
//! extension: private replies, acks after the durable commit, versions with `if_version`,
//! TTLs, prefixes, bulk get/set and change events on `modt/state/changed/{user_id}`.
//!
//! - [`store`]: the storage seam ([`Store`]) and its SQLite implementation.
//! - [`limits`]: the size limits of docs/protocol.md §5.
//! - `handlers`: one file per topic: decode → apply → reply.
//! - [`events`]: change events, queued by handlers and published by one task.
//! - [`unit`]: wiring the handlers into a [`modt::Unit`].
//! - [`args`]: the unit's flags ([`Args`]); [`build`]: the unit for a program ([`build()`]).

pub mod args;
pub mod build;
pub mod events;
mod handlers;
pub mod limits;
pub mod store;
mod unit;

pub use args::{Args, ABOUT};
pub use build::{build, DB_FILE};
pub use limits::Limits;
pub use store::sqlite::SqliteStore;
pub use store::{Committed, Entry, Store, StoreError, Write, WriteOutcome, REMEMBER_REQUESTS};
pub use unit::{unit, StateConfig, DEFAULT_MAX_CONCURRENT_REQUESTS, NAME};
