//! # modt-ingest — the ingest unit
//!
//! Keeps MQTT connections to external brokers (where devices publish) aligned with its
//! configuration, records every topic it receives, parses the messages it knows with a
//! registry of validated parsers into a device model (sites → gateways → dataloggers →
//! sensors), logs every failure, and serves a live devices page. Its payloads and topics are
//! `modt::protocol::ingest` and `topics::INGEST_*` (docs/protocol.md, "The ingest unit";
//! docs/ingest.md).
//!
//! ```text
//!  external brokers ──► connection tasks ──► parsers ──► intake (bounded) ──► writer ──► store
//!        ▲            (reconcile: one per active row)                          │
//!        └── reconciler ◄── API (gateway, CLI) ◄── admins                      └──► device events,
//!                                                                                   dead letters
//! ```
//!
//! - [`reconcile`]: desired (active connections) against actual (running tasks), on every
//!   change and on a sweep; each connection's task with its backoff and status.
//! - [`parse`]: the parser registry: JSON Schema parsers declared in files, custom ones in code.
//! - [`pipeline`]: the bounded queue and the batching writer that stores and announces.
//! - [`store`]: the [`IngestStore`](store::IngestStore) trait and its SQLite backend.
//! - [`secret`]: connection passwords sealed at rest. [`rules`]: validation of requests.
//! - `api`: one handler per `modt/ingest/…` topic. [`model`]: the unit's internal types.
//! - [`web`]: the devices page and its live feed.
//! - [`args`]: its flags ([`Args`]); [`mod@build`]: the unit for a program ([`build()`]);
//!   [`mod@unit`]: the unit from its parts ([`unit()`](unit::unit)).

mod api;
pub mod args;
pub mod build;
pub mod model;
pub mod parse;
pub mod pipeline;
pub mod reconcile;
pub mod rules;
pub mod secret;
pub mod store;
pub mod unit;
pub mod web;

pub use args::{Args, ABOUT};
pub use build::{build, DATA, DEFAULT_PORT};
pub use unit::{IngestConfig, WebConfig, KIND, NAME};
