//! Request/reply on a [`Client`]: sending a request with its [`RequestOptions`] and waiting for
//! the correlated reply, and answering one (docs/protocol.md §3).
//!
//! Not here: reading a request's correlation ([`super::request`]) or routing replies to their
//! waiting requests (the connection task and the registry).
//!
//! - `retry`: waiting for one attempt, and the pause before the next
//!   ([`RequestOptions::retries`]).

mod retry;

use std::time::Duration;

use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use tracing::debug;

use super::message::{Message, Outgoing, QoS};
use super::request::{self, RequestContext};
use super::{Client, MqttVersion};
use crate::error::{PublishError, PublishErrorKind, RequestError, RequestErrorKind};
use crate::protocol::{self, reply::ReplyProbe};
use crate::Topic;

/// How to send one request: how long to wait for the reply, at which QoS, with which headers
/// and request id. Every default is in its one `impl Default`.
///
/// ```
/// use std::time::Duration;
/// use modt::{QoS, RequestOptions};
/// let opts = RequestOptions::new()
///     .timeout(Duration::from_secs(2))
///     .qos(QoS::AtMostOnce)
///     .header("trace-id", "4bf92f35")
///     .request_id("req-7f3a");
/// assert_eq!(opts.get_timeout(), Some(Duration::from_secs(2)));
/// assert_eq!(opts.get_request_id(), Some("req-7f3a"));
/// assert_eq!(RequestOptions::default().get_timeout(), None); // the client's request_timeout
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestOptions {
    timeout: Option<Duration>,
    qos: QoS,
    headers: Vec<(String, String)>,
    request_id: Option<String>,
    retries: u32,
    retry_backoff: (Duration, Duration),
}

impl Default for RequestOptions {
    /// Wait the client's [`request_timeout`](crate::ClientConfig::request_timeout), publish at
    /// QoS 1, no headers, a fresh request id, no retries (pauses between retries, once asked
    /// for: [`RETRY_BACKOFF_MIN`](Self::RETRY_BACKOFF_MIN) doubling up to
    /// [`RETRY_BACKOFF_MAX`](Self::RETRY_BACKOFF_MAX)).
    fn default() -> Self {
        RequestOptions {
            timeout: None,
            qos: QoS::AtLeastOnce,
            headers: Vec::new(),
            request_id: None,
            retries: 0,
            retry_backoff: (Self::RETRY_BACKOFF_MIN, Self::RETRY_BACKOFF_MAX),
        }
    }
}

impl RequestOptions {
    /// Most retries one request may ask for ([`RequestOptions::retries`]); more are capped.
    pub const MAX_RETRIES: u32 = 16;
    /// The default pause before the first retry; it doubles for each further one.
    pub const RETRY_BACKOFF_MIN: Duration = Duration::from_millis(100);
    /// The default longest pause between retries.
    pub const RETRY_BACKOFF_MAX: Duration = Duration::from_secs(2);

    /// The defaults (see [`RequestOptions::default`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// Waits at most `timeout` for the reply, instead of the client's `request_timeout`.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Publishes the request at `qos` (default QoS 1). The reply comes at the request's QoS,
    /// at most 1.
    pub fn qos(mut self, qos: QoS) -> Self {
        self.qos = qos;
        self
    }

    /// Adds a header: an MQTT 5 user property on the request (not sent on MQTT 3.1.1, which has
    /// no place for it). Headers may repeat a name.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sends the request under `id` (its `request_id` and MQTT 5 correlation data) instead of
    /// a fresh one, so that the responder's logs name an id the caller already knows (the
    /// gateway passes an HTTP request's `x-request-id`). The id must be a topic level (no `/`,
    /// `+`, `#`), at most [`MAX_REQUEST_ID_CHARS`](crate::protocol::MAX_REQUEST_ID_CHARS)
    /// characters and not the id of another request of this client still waiting; otherwise
    /// the request goes out under a fresh id (logged at debug level), never failing for it.
    pub fn request_id(mut self, id: impl Into<String>) -> Self {
        self.request_id = Some(id.into());
        self
    }

    /// Sends the request again, up to `retries` more times (at most
    /// [`MAX_RETRIES`](Self::MAX_RETRIES)), when its fate is unknown: no reply within the
    /// timeout, the client reconnected while it waited, or every unit serving the topic went
    /// offline. Each retry is the same request — same payload, `request_id` and reply topic —
    /// so a unit that remembers requests (the state unit's writes, the todo unit's) applies it
    /// once and answers every copy with the first answer, whichever replica gets it
    /// (docs/protocol.md §3, docs/scaling.md). Each attempt waits the whole timeout; between
    /// attempts the request pauses (see [`retry_backoff`](Self::retry_backoff)). Only use it on
    /// requests that are safe to repeat: reads, and writes to units that remember requests.
    ///
    /// ```
    /// use std::time::Duration;
    /// use modt::RequestOptions;
    /// let opts = RequestOptions::new().timeout(Duration::from_secs(1)).retries(3);
    /// assert_eq!(opts.get_retries(), 3);
    /// assert_eq!(RequestOptions::new().retries(99).get_retries(), RequestOptions::MAX_RETRIES);
    /// ```
    pub fn retries(mut self, retries: u32) -> Self {
        self.retries = retries.min(Self::MAX_RETRIES);
        self
    }

    /// Pauses `min` before the first retry, doubling for each further one up to `max`.
    pub fn retry_backoff(mut self, min: Duration, max: Duration) -> Self {
        self.retry_backoff = (min, max);
        self
    }

    /// How many times the request may be sent again.
    pub fn get_retries(&self) -> u32 {
        self.retries
    }

    /// The request id asked for, if any (`None`: a fresh one).
    pub fn get_request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    /// The timeout set, if any (`None`: the client's `request_timeout`).
    pub fn get_timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// The QoS the request is published at.
    pub fn get_qos(&self) -> QoS {
        self.qos
    }

    /// The headers, in the order added.
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }
}

impl Client {
    /// Sends a request and waits for its correlated reply (docs/protocol.md §3).
    ///
    /// The payload must serialize to a JSON object; `request_id` and `reply_to` are added to it,
    /// and on MQTT 5 the response-topic and correlation-data properties are set as well.
    ///
    /// ```no_run
    /// # async fn demo(client: modt::Client) -> Result<(), modt::Error> {
    /// use std::time::Duration;
    /// use modt::{protocol::topics, RequestOptions};
    /// let opts = RequestOptions::new().timeout(Duration::from_secs(1));
    /// let reply = client.request(&topics::ECHO, &serde_json::json!({"hi": 1}), opts).await?;
    /// # let _ = reply;
    /// # Ok(()) }
    /// ```
    pub async fn request<T: Serialize + ?Sized>(
        &self,
        topic: &Topic,
        payload: &T,
        mut options: RequestOptions,
    ) -> Result<Message, RequestError> {
        let timeout = options.timeout.unwrap_or(self.inner.request_timeout);
        let (request_id, reply_to, rx) = self.claim_request_id(options.request_id.as_deref())?;
        let encode = |e: serde_json::Error| {
            RequestError::new(
                RequestErrorKind::Encode,
                format!("could not encode the payload for {topic}: {e}"),
            )
            .with_source(e)
        };
        let mut value = match serde_json::to_value(payload) {
            Ok(value) => value,
            Err(e) => {
                self.inner.shared.registry.forget_reply(&request_id);
                return Err(encode(e));
            }
        };
        let Value::Object(obj) = &mut value else {
            self.inner.shared.registry.forget_reply(&request_id);
            return Err(RequestError::new(
                RequestErrorKind::NotAnObject,
                format!("a request payload for {topic} must be a JSON object"),
            ));
        };
        request::stamp(obj, Some(&request_id), Some(reply_to.as_str()));
        let bytes = match protocol::encode(&value) {
            Ok(bytes) => bytes,
            Err(e) => {
                self.inner.shared.registry.forget_reply(&request_id);
                return Err(encode(e));
            }
        };
        let mut out = Outgoing::new(topic.clone(), bytes).qos(options.qos);
        if self.inner.version == MqttVersion::V5 {
            out.response_topic = Some(reply_to.to_string());
            out.correlation_data = Some(Bytes::from(request_id.clone().into_bytes()));
            out.user_properties = std::mem::take(&mut options.headers);
            // Inside a handler: the trace it works on goes on (crate::trace).
            crate::trace::stamp(&mut out.user_properties);
        }
        debug!(%topic, %request_id, "request");
        let result = self.send_and_wait(topic, out, rx, timeout, &options).await;
        if result.is_err() {
            self.inner.shared.registry.forget_reply(&request_id);
        }
        result
    }

    /// Publishes `out` and waits for its reply on `rx`, sending it again as
    /// [`RequestOptions::retries`] allows.
    async fn send_and_wait(
        &self,
        topic: &Topic,
        out: Outgoing,
        mut rx: tokio::sync::oneshot::Receiver<Message>,
        timeout: Duration,
        options: &RequestOptions,
    ) -> Result<Message, RequestError> {
        let mut watch = retry::Watch {
            topic: topic.as_str(),
            timeout,
            connection: (options.retries > 0).then(|| self.connection()),
            directory: self.inner.directory.get(),
        };
        let (min, max) = options.retry_backoff;
        let mut retry = 0;
        loop {
            self.publish(out.clone()).await?;
            match watch.attempt(&mut rx).await {
                Ok(msg) => return Ok(msg),
                Err(retry::Missed::Retry(e)) if retry < options.retries => {
                    retry += 1;
                    debug!(%topic, error = %e, retry, "request sent again");
                    // A reply to an earlier attempt that arrives meanwhile is taken.
                    let pause = retry::backoff(retry, min, max);
                    match tokio::time::timeout(pause, &mut rx).await {
                        Ok(Ok(msg)) => return Ok(msg),
                        Ok(Err(_)) => {
                            return Err(RequestError::new(
                                RequestErrorKind::Closed,
                                format!("the MQTT client shut down while {topic} was asked"),
                            ))
                        }
                        Err(_pause_over) => {}
                    }
                }
                Err(retry::Missed::Retry(e) | retry::Missed::Fatal(e)) => return Err(e),
            }
        }
    }

    /// The id, reply topic and reply receiver of a new request: `wanted` when it is usable
    /// (see [`RequestOptions::request_id`]), else a fresh id.
    #[allow(clippy::type_complexity)]
    fn claim_request_id(
        &self,
        wanted: Option<&str>,
    ) -> Result<(String, Topic, tokio::sync::oneshot::Receiver<Message>), RequestError> {
        let registry = &self.inner.shared.registry;
        if let Some(id) = wanted {
            let fits = !id.is_empty() && id.chars().count() <= protocol::MAX_REQUEST_ID_CHARS;
            match self.inner.reply_root.join(id) {
                Ok(reply_to) if fits => {
                    if let Some(rx) = registry.expect_new_reply(id) {
                        return Ok((id.to_owned(), reply_to, rx));
                    }
                    debug!(request_id = %id, "request id already waiting; using a fresh one");
                }
                _ => debug!("request id unusable as a topic level; using a fresh one"),
            }
        }
        let id = uuid::Uuid::new_v4().simple().to_string();
        let reply_to = self.inner.reply_root.join(&id).map_err(|e| {
            RequestError::new(RequestErrorKind::Encode, format!("no reply topic: {e}"))
                .with_source(e)
        })?;
        let rx = registry.expect_reply(id.clone());
        Ok((id, reply_to, rx))
    }

    /// Makes requests fail ([`RequestErrorKind::NoResponders`]) as soon as every unit that announced
    /// serving their topic is offline (the broker publishes a unit's last will about 1.5 ×
    /// its keep-alive after it stops answering: under 8 s for units of this SDK), instead of
    /// waiting out their timeout. Requests to topics no known unit announces (the original
    /// units) wait as before. Set once; later calls are ignored.
    ///
    /// ```no_run
    /// # async fn demo(client: modt::Client) -> Result<(), modt::Error> {
    /// let stop = tokio_util::sync::CancellationToken::new();
    /// client.fail_fast_with(modt::Directory::watch(&client, stop).await?);
    /// # Ok(()) }
    /// ```
    pub fn fail_fast_with(&self, directory: crate::Directory) {
        let _ = self.inner.directory.set(directory);
    }

    /// Like [`request`](Self::request), then decodes the reply as `R`, turning an error reply
    /// into [`RequestErrorKind::ErrorReply`].
    pub async fn request_json<T: Serialize + ?Sized, R: DeserializeOwned>(
        &self,
        topic: &Topic,
        payload: &T,
        options: RequestOptions,
    ) -> Result<R, RequestError> {
        let msg = self.request(topic, payload, options).await?;
        check_error_reply(topic, &msg)?;
        msg.json().map_err(|e| {
            RequestError::new(
                RequestErrorKind::BadReply,
                format!("bad reply to {topic}: {e}"),
            )
            .with_source(e)
        })
    }

    /// Answers a request privately when it asked for that (it carries a `reply_to`).
    /// Adds `request_id` to the payload (and correlation data on MQTT 5).
    /// Returns `Ok(false)` when the request wants no private reply.
    pub async fn reply<T: Serialize + ?Sized>(
        &self,
        ctx: &RequestContext,
        payload: &T,
    ) -> Result<bool, PublishError> {
        let Some(reply_to) = &ctx.reply_to else {
            return Ok(false);
        };
        let encode = |e: serde_json::Error| {
            PublishError::new(
                PublishErrorKind::Encode,
                format!("could not encode the reply for {reply_to}: {e}"),
            )
            .with_source(e)
        };
        let mut value = serde_json::to_value(payload).map_err(encode)?;
        if let Value::Object(obj) = &mut value {
            request::stamp(obj, ctx.request_id.as_deref(), None);
        }
        let bytes = protocol::encode(&value).map_err(encode)?;
        let mut out = Outgoing::new(reply_to.clone(), bytes).qos(ctx.answer_qos);
        if self.inner.version == MqttVersion::V5 {
            out.correlation_data = ctx.correlation_data();
        }
        self.publish(out).await?;
        Ok(true)
    }
}

/// Turns an error reply into a [`RequestErrorKind::ErrorReply`] with its code, the reply's body
/// kept ([`RequestError::error_reply`]).
pub fn check_error_reply(topic: &Topic, msg: &Message) -> Result<(), RequestError> {
    if let Ok(probe) = protocol::decode::<ReplyProbe>(&msg.payload) {
        let is_error = probe.status.as_ref().and_then(Value::as_str) == Some("error");
        if let (true, Some(body)) = (is_error, probe.error) {
            return Err(RequestError::error_reply_from(topic.as_str(), body));
        }
    }
    Ok(())
}
