//! # modt-monitor — every message on the bus, live, with its secrets masked
//!
//! The monitor subscribes to `#`, keeps the last N messages and per-topic counts, and shows
//! them to administrators in a web page that updates over a WebSocket. `modt monitor` prints
//! the same stream in a terminal, with the same masking.
//!
//! - [`config`]: [`MonitorConfig`], its settings and limits.
//! - [`mask`]: which fields hold secrets, and masking them at any depth.
//! - [`record`]: one observed message as shown: masked, size-bounded, serialized once.
//! - [`preview`]: the one-line payload preview, meaningful fields first.
//! - [`buffer`]: the ring buffer of recent messages.
//! - [`tree`]: counts and rates per topic (bounded, one-off reply topics grouped), and the
//!   topic tree.
//! - [`rate`]: the last minute of message rate per topic, in a fixed ring (the sparklines).
//! - [`live`]: buffer, counts and the open pages' bounded feeds behind one lock.
//! - [`ingest`]: the `#` subscription and the rate ticker.
//! - [`access`]: administrators only (the session cookie, resolved by the identify unit).
//! - [`web`]: the routes; [`page`]: `GET /`; [`feed`]: the WebSocket `GET /feed`.
//! - [`messages`]: texts in English and Japanese.
//! - [`unit`]: puts it together as a [`modt::Unit`].
//! - [`args`]: the unit's flags ([`Args`]); [`build`]: the unit for a program ([`build()`]).

pub mod access;
pub mod args;
pub mod buffer;
pub mod build;
pub mod config;
pub mod feed;
pub mod ingest;
pub mod live;
pub mod mask;
pub mod messages;
pub mod page;
pub mod preview;
pub mod rate;
pub mod record;
pub mod tree;
pub mod unit;
pub mod web;

pub use args::{Args, ABOUT};
pub use build::build;
pub use config::MonitorConfig;
pub use live::Live;
pub use record::View;
pub use unit::{unit, KIND, NAME};
