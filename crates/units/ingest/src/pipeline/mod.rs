//! From the connections to the database: the bounded [`Intake`] queue and the one writer
//! that stores messages in batches (one transaction per batch, never one per message),
//! then announces what it stored.
//!
//! - `intake`: the queue, and the shed counters when it is full.
//! - `writer`: batching and storing, one batch written while the next is gathered.
//! - `gather`: one batch in the making, each message folded in as it is taken.
//! - `announce`: after the commit, acknowledging QoS 1 messages, publishing device events
//!   and dead letters, beside the writer.
//! - `limits`: what the limits on topics and devices left out, counted and logged.
//!
//! Under overload the queue holds at most [`INGEST_QUEUE`] messages. A QoS 1 message waits
//! for room (its connection stops reading, so the external broker holds the rest); a QoS 0
//! message is shed: counted in `modt_ingest_shed_total` and in its topic's `count` (so
//! `count − parsed − failed` of a parsed topic is what was shed). Memory stays bounded.

mod announce;
mod gather;
pub mod intake;
pub mod limits;
pub mod writer;

use std::time::Duration;

pub use intake::{Intake, Queued};
pub use limits::LimitWatch;
pub use writer::Writer;

/// Messages waiting for the writer, at most.
pub const INGEST_QUEUE: usize = 10_000;

/// Messages stored in one transaction, at most: under load, a batch is what came while the
/// last one was written, up to a second's worth at the goal rate of 10,000 msg/s. A commit
/// costs about the same however many messages it holds (it rewrites every reporting sensor's
/// current history page), so large batches are what lets the writer keep up.
pub const MAX_BATCH: usize = 10_000;

/// Longest the first message of a batch waits for more to join it when no write is under
/// way. While the previous batch is being written, the next one keeps gathering until that
/// write ends (or it holds [`MAX_BATCH`]), whatever this says: the first message then waits
/// the longer of this and the rest of that write.
pub const FLUSH_EVERY: Duration = Duration::from_millis(50);

/// The first wait before a batch the store refused is tried again; each further wait
/// doubles, up to [`STORE_RETRY_MAX`].
pub const STORE_RETRY_FIRST: Duration = Duration::from_millis(100);

/// The longest wait between two tries of a batch the store refused.
pub const STORE_RETRY_MAX: Duration = Duration::from_secs(5);

/// While the store keeps refusing a batch, its error is logged at most this often (the
/// first failure always; every failed try counts in `modt_ingest_store_failed_total`).
pub const STORE_RETRY_LOG_EVERY: Duration = Duration::from_secs(30);

/// Stored batches waiting for the announcer, at most: beyond, the writer waits for room
/// (nothing is dropped), so at most this many batches' announcements are held in memory.
pub const ANNOUNCE_QUEUE: usize = 2;

/// Device events in one message on `modt/ingest/devices/changed/{site}`, at most: a
/// batch's events are published per site in messages of this many.
pub const MAX_EVENTS_PER_MESSAGE: usize = 64;

/// Distinct topics whose shed messages are counted between two batches; beyond it, sheds
/// are counted only in the metric.
pub const MAX_SHED_TOPICS: usize = 10_000;
