//! What a unit's handlers see ([`Context`]) and return ([`HandlerError`]).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::metrics::Metrics;
use crate::error::{PublishError, RequestError, SubscribeError};
use crate::protocol::{DecodeError, ErrorCode, FieldError};
use crate::trace::TraceContext;
use crate::{Client, Error, Message, RequestContext, Topic};

/// A handler's failure: a stable code and a message safe to show the requester.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct HandlerError {
    /// The wire code.
    pub code: ErrorCode,
    /// What went wrong, without secrets.
    pub message: String,
    /// Which fields broke which rule (sent as the error's `details`).
    pub details: Vec<FieldError>,
    /// How long the requester should wait before trying again (sent as the error's
    /// `retry_after`, whole seconds, at least 1).
    pub retry_after: Option<Duration>,
}

impl HandlerError {
    /// A failure with `code`.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        HandlerError {
            code,
            message: message.into(),
            details: Vec::new(),
            retry_after: None,
        }
    }

    /// Tells the requester how long to wait before trying again (`retry_after` on the wire,
    /// `Retry-After` through the gateway).
    pub fn retry_after(mut self, wait: Duration) -> Self {
        self.retry_after = Some(wait);
        self
    }

    /// `unprocessable`: well-formed, but these fields break a rule. The message names the
    /// first; `details` lists them all.
    pub fn unprocessable(details: Vec<FieldError>) -> Self {
        let message = match details.first() {
            Some(first) => format!("{}: {}", first.field, first.reason),
            None => "the request breaks a rule".to_owned(),
        };
        HandlerError {
            code: ErrorCode::Unprocessable,
            message,
            details,
            retry_after: None,
        }
    }

    /// The payload is unusable (dead-lettered by the runtime).
    pub fn bad_request(message: impl Into<String>) -> Self {
        HandlerError::new(ErrorCode::BadRequest, message)
    }

    /// Whether the runtime sends the message to the dead-letter topic: payloads that could
    /// never succeed, as opposed to failures of the moment.
    pub fn is_bad_input(&self) -> bool {
        matches!(self.code, ErrorCode::BadRequest | ErrorCode::TooLarge)
    }
}

impl From<DecodeError> for HandlerError {
    fn from(e: DecodeError) -> Self {
        HandlerError::new(e.code(), e.to_string())
    }
}

impl From<Error> for HandlerError {
    fn from(e: Error) -> Self {
        HandlerError::new(e.code(), e.to_string())
    }
}

impl From<RequestError> for HandlerError {
    /// A failed request to another unit: its code (an error reply's own), its message.
    fn from(e: RequestError) -> Self {
        HandlerError::new(e.code(), e.to_string())
    }
}

impl From<PublishError> for HandlerError {
    fn from(e: PublishError) -> Self {
        Error::from(e).into()
    }
}

impl From<SubscribeError> for HandlerError {
    fn from(e: SubscribeError) -> Self {
        Error::from(e).into()
    }
}

/// What a handler returns.
pub type HandlerResult = Result<(), HandlerError>;

/// A boxed handler future.
pub type HandlerFuture = Pin<Box<dyn Future<Output = HandlerResult> + Send>>;

/// A type-erased handler.
pub(crate) type BoxHandler = Arc<dyn Fn(Context, Message) -> HandlerFuture + Send + Sync>;

/// A type-erased accept step of an ordered route.
pub(crate) type BoxAccept =
    Arc<dyn Fn(Context, Message) -> Result<HandlerFuture, HandlerError> + Send + Sync>;

/// Everything a handler needs to answer one message.
#[derive(Debug, Clone)]
pub struct Context {
    pub(crate) client: Client,
    pub(crate) request: RequestContext,
    pub(crate) unit_id: Arc<str>,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) trace: Option<TraceContext>,
}

impl Context {
    /// The unit's MQTT client, to publish or make requests of other units.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The message's correlation: request id and private reply topic, if any.
    pub fn request(&self) -> &RequestContext {
        &self.request
    }

    /// The trace this message belongs to (`traceparent`, `x-request-id`; see [`crate::trace`]);
    /// `None` for a broadcast message with neither a request id nor a trace. It is also the
    /// handler task's current one, which requests sent from the task carry on; a task the
    /// handler spawns gets it with [`TraceContext::scope`].
    pub fn trace(&self) -> Option<&TraceContext> {
        self.trace.as_ref()
    }

    /// The unit's id.
    pub fn unit_id(&self) -> &str {
        &self.unit_id
    }

    /// Decodes the payload as `T`; a failure becomes a `bad_request` and is dead-lettered.
    pub fn decode<T: DeserializeOwned>(&self, msg: &Message) -> Result<T, HandlerError> {
        Ok(msg.json()?)
    }

    /// Replies privately if the request asked for it; returns whether it did.
    pub async fn reply<T: Serialize + ?Sized>(&self, payload: &T) -> Result<bool, HandlerError> {
        Ok(self.client.reply(&self.request, payload).await?)
    }

    /// Replies privately when the request carries `reply_to`, else publishes `payload`
    /// unchanged on `legacy_topic` (the original's broadcast reply). Either way at the QoS
    /// the request came with (at most 1), as the original does.
    pub async fn answer<T: Serialize + ?Sized>(
        &self,
        legacy_topic: &Topic,
        payload: &T,
    ) -> HandlerResult {
        if !self.reply(payload).await? {
            self.client
                .publish_json_qos(legacy_topic, payload, self.request.answer_qos)
                .await?;
        }
        Ok(())
    }

    /// The unit's counters.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }
}
