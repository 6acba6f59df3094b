//! Asking another unit whichever way it answers, so Rust units and the original Python units
//! can be mixed on one broker, one unit replaced at a time.
//!
//! A unit run by this SDK announces `correlated: true` in its retained info
//! (`modt/units/{id}/info`); then [`Asker`] sends a correlated request and waits for the private
//! reply (docs/protocol.md §3). The original units announce nothing: then it publishes the
//! legacy request and picks its answer out of the legacy broadcast by the answer's fields
//! ([`LegacyAnswer`]), within the same timeout. Writes to a unit that never acknowledges are
//! confirmed by the caller reading them back (the viewer does; see `docs/protocol.md`,
//! "Mixed fleets").
//!
//! Not here: which fields identify an answer. That is the caller's protocol knowledge (the
//! session id of a session query; the user id and key of a get).

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{RequestError, RequestErrorKind};
use crate::{Client, Directory, Error, QoS, RequestOptions, Topic};

/// How to recognise the legacy answer to one request among everyone's broadcasts.
pub struct LegacyAnswer<'a, A> {
    /// Where the original broadcasts the answer (e.g. `modt/session/info`).
    pub topic: &'a Topic,
    /// Whether a decoded broadcast answers this request.
    pub matches: &'a (dyn Fn(&A) -> bool + Send + Sync),
}

impl<A> std::fmt::Debug for LegacyAnswer<'_, A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LegacyAnswer")
            .field("topic", &self.topic)
            .finish_non_exhaustive()
    }
}

/// A client and the presence directory that tells it how each unit answers. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Asker {
    client: Client,
    directory: Directory,
}

impl Asker {
    /// Asks over `client`, choosing the way by what `directory` knows.
    pub fn new(client: Client, directory: Directory) -> Asker {
        Asker { client, directory }
    }

    /// The client it asks over.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Whether requests to `topic` go correlated (an online unit serving it says it answers
    /// privately) rather than the legacy way.
    pub fn correlated(&self, topic: &Topic) -> bool {
        self.directory.answers_correlated(topic.as_str())
    }

    /// Sends `request` to `topic` and returns the answer: the private reply (an error reply
    /// is a [`RequestErrorKind::ErrorReply`](crate::RequestErrorKind)) when the unit answers
    /// privately, else the first broadcast on `legacy.topic` that `legacy.matches`. A
    /// [`RequestErrorKind::TimedOut`](crate::RequestErrorKind) after `timeout` either way.
    pub async fn ask<Q, A>(
        &self,
        topic: &Topic,
        request: &Q,
        legacy: LegacyAnswer<'_, A>,
        timeout: Duration,
    ) -> Result<A, Error>
    where
        Q: Serialize + ?Sized,
        A: DeserializeOwned,
    {
        if self.correlated(topic) {
            return Ok(self
                .client
                .request_json(topic, request, RequestOptions::new().timeout(timeout))
                .await?);
        }
        legacy_request(&self.client, topic, request, legacy, timeout).await
    }
}

/// Publishes `request` on `topic` the original's way (no `reply_to`) and waits for the first
/// broadcast on `legacy.topic` that decodes as `A` and `legacy.matches`. Broadcasts for other
/// requesters, or that do not decode, are passed over.
pub async fn legacy_request<Q, A>(
    client: &Client,
    topic: &Topic,
    request: &Q,
    legacy: LegacyAnswer<'_, A>,
    timeout: Duration,
) -> Result<A, Error>
where
    Q: Serialize + ?Sized,
    A: DeserializeOwned,
{
    let deadline = tokio::time::Instant::now() + timeout;
    let timed_out = || {
        Error::from(
            RequestError::new(
                RequestErrorKind::TimedOut,
                format!("no reply to {topic} within {timeout:?}"),
            )
            .with_timeout(timeout),
        )
    };
    // Subscribed before the request goes out, so the answer cannot come first.
    let mut answers = tokio::time::timeout_at(
        deadline,
        client.subscribe(&legacy.topic.to_filter(), QoS::AtLeastOnce),
    )
    .await
    .map_err(|_| timed_out())??;
    client.publish_json(topic, request).await?;
    loop {
        let msg = match tokio::time::timeout_at(deadline, answers.recv()).await {
            Ok(Some(msg)) => msg,
            Ok(None) => return Err(Error::Closed),
            Err(_) => return Err(timed_out()),
        };
        if let Ok(answer) = msg.json::<A>() {
            if (legacy.matches)(&answer) {
                return Ok(answer);
            }
        }
    }
}
