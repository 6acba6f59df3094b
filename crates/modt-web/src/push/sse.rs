//! Server-sent events: a stream of [`Event`]s as the response, with a keep-alive comment
//! every [`KEEP_ALIVE`] (so proxies keep the connection) and an end when the unit stops
//! (the browser's `EventSource` then reconnects, to the next instance).

use std::convert::Infallible;
use std::time::Duration;

use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::{Stream, StreamExt};
use tokio_util::sync::CancellationToken;

/// How often an idle stream sends a keep-alive comment.
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// `events` as a `text/event-stream` response that ends when `shutdown` fires (or the
/// stream ends). Whatever the stream holds (a [`Receiver`](super::Receiver), a
/// [`ClientPermit`](super::ClientPermit)) is dropped with it.
pub fn stream<S>(events: S, shutdown: CancellationToken) -> Response
where
    S: Stream<Item = Event> + Send + 'static,
{
    let events = events
        .take_until(shutdown.cancelled_owned())
        .map(Ok::<_, Infallible>);
    Sse::new(events)
        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
        .into_response()
}
