//! The SDK's errors. Each client operation fails with its own kind ([`op`]: connect, publish,
//! subscribe, request), which callers and tests decide on with `kind()`; [`Error`] gathers them
//! and the rest (topics, decoding, configuration, a unit's services), so `?` works across them.
//! Errors that cross the wire map to [`ErrorCode`] in [`Error::code`] (and `RequestError::code`).

pub mod op;

pub use op::{
    BoxError, ConnectError, ConnectErrorKind, OpError, PublishError, PublishErrorKind,
    RequestError, RequestErrorKind, SubscribeError, SubscribeErrorKind,
};

use crate::protocol::{DecodeError, ErrorCode, TopicError};

/// Everything the SDK's client and runtime can fail with.
///
/// ```
/// use modt::{Error, RequestErrorKind};
/// fn is_timeout(e: &Error) -> bool {
///     matches!(e, Error::Request(r) if r.kind() == RequestErrorKind::TimedOut)
/// }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Connecting to the broker failed.
    #[error(transparent)]
    Connect(#[from] ConnectError),
    /// A publish failed.
    #[error(transparent)]
    Publish(#[from] PublishError),
    /// A subscription failed.
    #[error(transparent)]
    Subscribe(#[from] SubscribeError),
    /// A request failed.
    #[error(transparent)]
    Request(#[from] RequestError),
    /// A topic or filter is not valid.
    #[error("invalid topic: {0}")]
    Topic(#[from] TopicError),
    /// A payload could not be decoded.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// A configuration is unusable.
    #[error("invalid configuration: {message}")]
    Config {
        /// What is wrong, naming the setting.
        message: String,
        /// The cause (e.g. reading a file), if any.
        #[source]
        source: Option<BoxError>,
    },
    /// The client was shut down or its connection task ended.
    #[error("the MQTT client is shut down")]
    Closed,
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
    /// An unusable configuration, with its cause.
    pub fn config(message: impl Into<String>, source: Option<BoxError>) -> Self {
        Error::Config {
            message: message.into(),
            source,
        }
    }

    /// The request failure inside, if this is one.
    pub fn as_request(&self) -> Option<&RequestError> {
        match self {
            Error::Request(e) => Some(e),
            _ => None,
        }
    }

    /// The stable wire code for this error, when it is reported to a requester.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Request(e) => e.code(),
            Error::Topic(_) => ErrorCode::BadRequest,
            Error::Decode(e) => e.code(),
            Error::Publish(e) => match e.kind() {
                PublishErrorKind::TooLarge => ErrorCode::TooLarge,
                PublishErrorKind::Encode => ErrorCode::BadRequest,
                _ => ErrorCode::Unavailable,
            },
            Error::Subscribe(e) => match e.kind() {
                SubscribeErrorKind::Refused => ErrorCode::Unauthorized,
                _ => ErrorCode::Unavailable,
            },
            Error::Connect(e) => match e.kind() {
                ConnectErrorKind::Refused => ErrorCode::Unauthorized,
                ConnectErrorKind::InvalidConfig => ErrorCode::Internal,
                _ => ErrorCode::Unavailable,
            },
            Error::Closed => ErrorCode::Unavailable,
            Error::Config { .. } | Error::Service { .. } => ErrorCode::Internal,
        }
    }
}
