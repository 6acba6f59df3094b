//! The SDK's error type. Errors that cross the wire map to [`ErrorCode`] in [`Error::code`].

use std::time::Duration;

use crate::protocol::{DecodeError, ErrorBody, ErrorCode, TopicError};

/// Everything the SDK's client and runtime can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A topic or filter is not valid.
    #[error("invalid topic: {0}")]
    Topic(#[from] TopicError),
    /// A payload could not be encoded as JSON.
    #[error("could not encode the payload for {topic}: {source}")]
    Encode {
        /// Where it was going.
        topic: String,
        /// Why.
        source: serde_json::Error,
    },
    /// A request payload must be a JSON object, so the correlation fields can be added.
    #[error("a request payload for {topic} must be a JSON object")]
    NotAnObject {
        /// Where it was going.
        topic: String,
    },
    /// The broker could not be reached in time.
    #[error("could not connect to the MQTT broker at {addr}: {reason}")]
    Connect {
        /// `host:port`.
        addr: String,
        /// The last failure seen.
        reason: String,
    },
    /// The broker refused the connection (bad credentials, not authorized, …).
    #[error("the MQTT broker at {addr} refused the connection: {reason}")]
    Refused {
        /// `host:port`.
        addr: String,
        /// The broker's reason code.
        reason: String,
    },
    /// No reply came in time.
    #[error("no reply to {topic} within {timeout:?}")]
    Timeout {
        /// The request topic.
        topic: String,
        /// How long we waited.
        timeout: Duration,
    },
    /// Every unit known to serve the request's topic went offline (its last will) while the
    /// request waited, or was offline when it was sent ([`crate::Client::fail_fast_with`]).
    #[error("no unit serving {topic} is online (offline: {})", units.join(", "))]
    Offline {
        /// The request topic.
        topic: String,
        /// The units that serve it, all offline.
        units: Vec<String>,
    },
    /// A message too large to publish: its MQTT packet would exceed the packet limit.
    #[error("a message for {topic} would be {bytes} bytes; the MQTT packet limit is {limit}")]
    TooLarge {
        /// Where it was going.
        topic: String,
        /// Its size as a packet.
        bytes: usize,
        /// The limit ([`MAX_PACKET_BYTES`](crate::MAX_PACKET_BYTES)).
        limit: usize,
    },
    /// The client was shut down or its connection task ended.
    #[error("the MQTT client is shut down")]
    Closed,
    /// The responder answered with an error reply.
    #[error("{topic} answered {}: {}", body.code, body.message)]
    Remote {
        /// The request topic.
        topic: String,
        /// The error reply's body.
        body: ErrorBody,
    },
    /// A reply could not be decoded.
    #[error("bad reply to {topic}: {source}")]
    BadReply {
        /// The request topic.
        topic: String,
        /// Why.
        source: DecodeError,
    },
    /// The broker refused a subscription (usually an ACL).
    #[error("the broker refused the subscription to {filter}")]
    SubscribeRefused {
        /// The filter.
        filter: String,
    },
    /// The client configuration is unusable.
    #[error("invalid client configuration: {0}")]
    Config(String),
    /// A unit's service (e.g. its web server) failed, which stopped the unit.
    #[error("service {service} of unit {unit} failed: {message}")]
    Service {
        /// The unit.
        unit: String,
        /// The service's name.
        service: String,
        /// What went wrong.
        message: String,
    },
}

impl Error {
    /// The stable wire code for this error, when it is reported to a requester.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Topic(_) | Error::NotAnObject { .. } | Error::Encode { .. } => {
                ErrorCode::BadRequest
            }
            Error::Timeout { .. } => ErrorCode::Timeout,
            Error::TooLarge { .. } => ErrorCode::TooLarge,
            Error::Remote { body, .. } => body.code,
            Error::SubscribeRefused { .. } | Error::Refused { .. } => ErrorCode::Unauthorized,
            Error::Connect { .. } | Error::Closed | Error::Offline { .. } => ErrorCode::Unavailable,
            Error::BadReply { .. } | Error::Config(_) | Error::Service { .. } => {
                ErrorCode::Internal
            }
        }
    }
}
