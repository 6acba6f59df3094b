//! Errors of one client operation: [`OpError<K>`] with a kind `K` per operation (connect,
//! publish, subscribe, request), what it was about, and its cause (async-nats' `Error<Kind>`).
//! Tests and callers decide on [`OpError::kind`], people read its message.

use std::fmt;
use std::time::Duration;

use crate::protocol::{ErrorBody, ErrorCode};

/// Any cause an error can carry.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The failure of one operation, of kind `K`: its message says what failed and on which
/// topic or address; [`std::error::Error::source`] gives the cause when there is one.
pub struct OpError<K> {
    kind: K,
    message: String,
    source: Option<BoxError>,
    /// How long the operation waited, when it timed out.
    waited: Option<Duration>,
    /// What the other side said, when it said something (kept apart from the source: the
    /// message already says it, and a cause chain would say it twice).
    detail: Option<Detail>,
}

/// What a request's responders said, or did not.
#[derive(Debug)]
enum Detail {
    /// The error reply (boxed: rare, and it would make every `Result` of the SDK larger).
    Reply(Box<ErrorBody>),
    Offline(Vec<String>),
}

impl<K: Copy> OpError<K> {
    /// What kind of failure this is.
    pub fn kind(&self) -> K {
        self.kind
    }
}

impl<K> OpError<K> {
    /// A failure of kind `kind`, said in `message` (what failed, on which topic or address).
    pub fn new(kind: K, message: impl Into<String>) -> Self {
        OpError {
            kind,
            message: message.into(),
            source: None,
            waited: None,
            detail: None,
        }
    }

    /// The same failure, after waiting `waited` (a timeout).
    pub fn with_timeout(mut self, waited: Duration) -> Self {
        self.waited = Some(waited);
        self
    }

    /// The same failure, caused by `source`.
    pub fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.source = Some(source.into());
        self
    }
}

impl<K: fmt::Debug> fmt::Debug for OpError<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpError")
            .field("kind", &self.kind)
            .field("message", &self.message)
            .field("source", &self.source)
            .field("waited", &self.waited)
            .field("detail", &self.detail)
            .finish()
    }
}

impl<K> fmt::Display for OpError<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl<K: fmt::Debug> std::error::Error for OpError<K> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|s| s as &(dyn std::error::Error + 'static))
    }
}

/// Why [`Client::connect`](crate::Client::connect) failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnectErrorKind {
    /// Nothing listens at the address (only when the config does not wait for the broker).
    Unreachable,
    /// The broker refused the login (credentials, authorization).
    Refused,
    /// No connection within the config's `connect_timeout`.
    TimedOut,
    /// The config is unusable (a client id that cannot be a topic level, TLS files).
    InvalidConfig,
    /// The connection task ended before the first connection.
    Closed,
}

/// Why a publish failed ([`Client::publish`](crate::Client::publish) and its JSON forms).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PublishErrorKind {
    /// The message would exceed the MQTT packet limit.
    TooLarge,
    /// The payload could not be encoded as JSON.
    Encode,
    /// The client is shut down.
    Closed,
}

/// Why a subscription failed ([`Client::subscribe`](crate::Client::subscribe)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SubscribeErrorKind {
    /// The broker refused it (usually an ACL).
    Refused,
    /// The broker did not answer the SUBSCRIBE in time.
    TimedOut,
    /// The client is shut down.
    Closed,
}

/// Why a request failed ([`Client::request`](crate::Client::request) and
/// [`Client::request_json`](crate::Client::request_json)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequestErrorKind {
    /// No reply within the timeout ([`RequestError::timeout`] says how long).
    TimedOut,
    /// Every unit serving the topic is offline ([`RequestError::offline_units`]); see
    /// [`Client::fail_fast_with`](crate::Client::fail_fast_with).
    NoResponders,
    /// The responder answered with an error reply of this code
    /// ([`RequestError::error_reply`] has its message).
    ErrorReply(ErrorCode),
    /// The reply could not be decoded as the type asked for.
    BadReply,
    /// The payload is not a JSON object, so the correlation fields cannot be added.
    NotAnObject,
    /// The payload could not be encoded as JSON.
    Encode,
    /// The request would exceed the MQTT packet limit.
    TooLarge,
    /// The client was shut down (or its connection task ended) while the request waited.
    Closed,
}

/// A failed [`Client::connect`](crate::Client::connect).
pub type ConnectError = OpError<ConnectErrorKind>;
/// A failed publish.
pub type PublishError = OpError<PublishErrorKind>;
/// A failed subscription.
pub type SubscribeError = OpError<SubscribeErrorKind>;
/// A failed request.
///
/// ```
/// use modt::{RequestError, RequestErrorKind};
/// fn retry_worth_it(e: &RequestError) -> bool {
///     matches!(e.kind(), RequestErrorKind::TimedOut | RequestErrorKind::NoResponders)
/// }
/// ```
pub type RequestError = OpError<RequestErrorKind>;

impl RequestError {
    /// A [`RequestErrorKind::ErrorReply`] carrying the responder's error reply.
    pub fn error_reply_from(topic: &str, body: ErrorBody) -> Self {
        let message = format!("{topic} answered {}: {}", body.code, body.message);
        let mut e = RequestError::new(RequestErrorKind::ErrorReply(body.code), message);
        e.detail = Some(Detail::Reply(Box::new(body)));
        e
    }

    /// A [`RequestErrorKind::NoResponders`] naming the units found offline.
    pub fn offline(topic: &str, units: Vec<String>) -> Self {
        let message = format!(
            "no unit serving {topic} is online (offline: {})",
            units.join(", ")
        );
        let mut e = RequestError::new(RequestErrorKind::NoResponders, message);
        e.detail = Some(Detail::Offline(units));
        e
    }

    /// The responder's error reply, for [`RequestErrorKind::ErrorReply`].
    pub fn error_reply(&self) -> Option<&ErrorBody> {
        match &self.detail {
            Some(Detail::Reply(body)) => Some(body),
            _ => None,
        }
    }

    /// The units found offline, for [`RequestErrorKind::NoResponders`].
    pub fn offline_units(&self) -> &[String] {
        match &self.detail {
            Some(Detail::Offline(units)) => units,
            _ => &[],
        }
    }

    /// How long the request waited, for [`RequestErrorKind::TimedOut`].
    pub fn timeout(&self) -> Option<Duration> {
        self.waited
    }

    /// The stable wire code for this failure.
    pub fn code(&self) -> ErrorCode {
        match self.kind {
            RequestErrorKind::TimedOut => ErrorCode::Timeout,
            RequestErrorKind::NoResponders | RequestErrorKind::Closed => ErrorCode::Unavailable,
            RequestErrorKind::ErrorReply(code) => code,
            RequestErrorKind::NotAnObject | RequestErrorKind::Encode => ErrorCode::BadRequest,
            RequestErrorKind::TooLarge => ErrorCode::TooLarge,
            RequestErrorKind::BadReply => ErrorCode::Internal,
        }
    }
}

impl From<PublishError> for RequestError {
    /// A request whose publish failed.
    fn from(e: PublishError) -> Self {
        let kind = match e.kind {
            PublishErrorKind::TooLarge => RequestErrorKind::TooLarge,
            PublishErrorKind::Encode => RequestErrorKind::Encode,
            PublishErrorKind::Closed => RequestErrorKind::Closed,
        };
        OpError {
            kind,
            message: e.message,
            source: e.source,
            waited: e.waited,
            detail: e.detail,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use std::error::Error as _;

    #[test]
    fn kinds_and_sources_survive() {
        let body = ErrorBody::new(ErrorCode::Conflict, "version 3 is current");
        let e = RequestError::error_reply_from("modt/state/set", body.clone());
        assert_eq!(e.kind(), RequestErrorKind::ErrorReply(ErrorCode::Conflict));
        assert_eq!(e.code(), ErrorCode::Conflict);
        assert_eq!(e.error_reply(), Some(&body));
        assert!(e.to_string().contains("version 3"), "{e}");
        assert!(
            e.source().is_none(),
            "said once, not twice in a cause chain"
        );
        let off = RequestError::offline("modt/state/set", vec!["state".into()]);
        assert_eq!(off.offline_units(), ["state"]);
        assert_eq!(off.code(), ErrorCode::Unavailable);
        let closed: RequestError = PublishError::new(PublishErrorKind::Closed, "shut").into();
        assert_eq!(closed.kind(), RequestErrorKind::Closed);
    }
}
