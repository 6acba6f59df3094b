//! Waiting for one attempt of a request, and when to send it again
//! ([`RequestOptions::retries`](super::RequestOptions::retries)).
//!
//! A retry sends the very same request again: the same payload, `request_id` and reply topic,
//! so a responder that remembers requests (the state unit, the todo unit; docs/protocol.md §3
//! "Retried requests") answers it once, whichever replica gets it and however many copies
//! arrive. Only what leaves the request's fate unknown is retried: no reply in time, the
//! client reconnecting meanwhile (a reply sent while it was away is lost with its clean
//! session), or every unit serving the topic going offline. An error reply is an answer and
//! is never retried here.

use std::time::Duration;

use tokio::sync::{oneshot, watch};

use crate::client::connection::ConnectionState;
use crate::client::message::Message;
use crate::error::{RequestError, RequestErrorKind};

/// How one attempt ended without a reply.
#[derive(Debug)]
pub(super) enum Missed {
    /// Worth sending again (when attempts are left).
    Retry(RequestError),
    /// Final: the client shut down.
    Fatal(RequestError),
}

/// The pause before retry number `retry` (1 for the first): `min` doubled each time, at most
/// `max`.
pub(super) fn backoff(retry: u32, min: Duration, max: Duration) -> Duration {
    let factor = 2u32.saturating_pow(retry.saturating_sub(1));
    min.saturating_mul(factor).min(max).max(min.min(max))
}

/// What can end one attempt besides its reply.
pub(super) struct Watch<'a> {
    pub(super) topic: &'a str,
    pub(super) timeout: Duration,
    /// Watched only when the request may be retried: a reconnect ends the attempt early.
    pub(super) connection: Option<watch::Receiver<ConnectionState>>,
    pub(super) directory: Option<&'a crate::Directory>,
}

impl Watch<'_> {
    /// Waits for the reply on `rx` for one attempt.
    pub(super) async fn attempt(
        &mut self,
        rx: &mut oneshot::Receiver<Message>,
    ) -> Result<Message, Missed> {
        let Watch {
            topic,
            timeout,
            connection,
            directory,
        } = self;
        let (topic, timeout) = (*topic, *timeout);
        let gone = async {
            match directory {
                Some(directory) => directory.servers_gone(topic).await,
                None => std::future::pending().await,
            }
        };
        let reconnected = async {
            match connection {
                Some(conn) => {
                    let seen = conn.borrow_and_update().generation;
                    let changed = conn.wait_for(|s| s.connected && s.generation != seen);
                    if changed.await.is_err() {
                        std::future::pending::<()>().await;
                    }
                }
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            r = tokio::time::timeout(timeout, rx) => match r {
                Ok(Ok(msg)) => Ok(msg),
                Ok(Err(_)) => Err(Missed::Fatal(RequestError::new(
                    RequestErrorKind::Closed,
                    format!("the MQTT client shut down while {topic} was asked"),
                ))),
                Err(_) => Err(Missed::Retry(
                    RequestError::new(
                        RequestErrorKind::TimedOut,
                        format!("no reply to {topic} within {timeout:?}"),
                    )
                    .with_timeout(timeout),
                )),
            },
            units = gone => Err(Missed::Retry(RequestError::offline(topic, units))),
            () = reconnected => Err(Missed::Retry(
                RequestError::new(
                    RequestErrorKind::TimedOut,
                    format!("the connection was lost while {topic} was asked, and no reply came"),
                ),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_its_cap() {
        let (min, max) = (Duration::from_millis(100), Duration::from_secs(1));
        let pauses: Vec<_> = (1..=6).map(|n| backoff(n, min, max).as_millis()).collect();
        assert_eq!(pauses, [100, 200, 400, 800, 1000, 1000]);
        assert_eq!(backoff(u32::MAX, min, max), max);
        assert_eq!(backoff(1, max, min), min, "a cap below the start wins");
    }
}
