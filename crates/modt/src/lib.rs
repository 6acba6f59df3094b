//! # modt — the MoDT SDK
//!
//! Build units that cooperate over an MQTT broker with the MoDT protocol
//! (see `docs/protocol.md`).
//!
//! - [`protocol`]: every topic and payload as typed Rust, wire-compatible with the original
//!   Python SDK, plus the correlated request/reply extension and error replies.
//! - [`client`]: an MQTT 3.1.1/5 client ([`Client`]) that reconnects with backoff,
//!   re-subscribes by itself, and does request/reply ([`Client::request`]).
//! - [`unit`]: the unit runtime ([`Unit`]): handlers per topic filter, concurrency limit,
//!   presence, ping, dead-lettering, graceful shutdown.
//! - [`directory`]: a live view of which units are online and where their web sides are.
//! - [`ask`]: ask a unit privately when it says it answers so, else the original's broadcast
//!   way ([`Asker`]): mixed fleets of Rust and original units.
//! - [`hub`]: a typed client of the hub registry ([`HubClient`]): get/post/put, 408 on timeout.
//! - [`env`]: the standard `MODT_*` settings every unit shares.
//! - [`limits`]: the size checks units share (docs/protocol.md §5).
//! - [`files`]: owner-only data directories and database files.
//! - [`memory`]: a unit says its load has ended; the process gives its free memory back.
//! - [`trace`]: the trace context of the request a handler works on (`traceparent`,
//!   `x-request-id`), logged with its lines and passed on with its requests.
//! - [`error`]: the SDK's [`Error`], and an error kind per client operation (connect,
//!   publish, subscribe, request: [`RequestError`] with [`RequestErrorKind`]).

pub mod ask;
pub mod client;
pub mod directory;
pub mod env;
pub mod error;
pub mod files;
pub mod hub;
pub mod limits;
pub mod memory;
pub mod protocol;
pub mod trace;
pub mod unit;

pub use ask::{Asker, LegacyAnswer};
pub use client::{
    check_error_reply, BrokerAddress, Client, ClientConfig, ConnectionState, Credentials, Inbox,
    LastWill, Message, MqttVersion, Outgoing, QoS, RequestContext, RequestOptions, Secret,
    Subscription, TlsConfig, DEFAULT_MAX_UNACKED_PUBLISHES, MAX_PACKET_BYTES,
};
pub use directory::Directory;
pub use error::{Error, RequestError, RequestErrorKind};
pub use hub::HubClient;
pub use protocol::{Topic, TopicFilter};
pub use unit::{Context, HandlerError, HandlerResult, ServiceContext, ServiceError, Unit};
