//! # modt-ingest — the ingest unit
//!
//! Keeps MQTT connections to external brokers (where devices publish) aligned with its
//! configuration, records every topic it receives, parses the messages it knows with a
//! registry of validated parsers into a device model (sites → gateways → dataloggers →
//! sensors), logs every failure, and serves a live devices page. Its payloads and topics are
//! `modt::protocol::ingest` and `topics::INGEST_*` (docs/protocol.md, "The ingest unit";
//! docs/ingest.md).
//!
//! - [`args`]: its flags ([`Args`]); [`mod@build`]: the unit for a program ([`build()`]).
//! - [`web`]: the devices page and its live feed.

pub mod args;
pub mod build;
pub mod unit;
pub mod web;

pub use args::{Args, ABOUT};
pub use build::{build, DEFAULT_PORT};
pub use unit::{WebConfig, KIND, NAME};
