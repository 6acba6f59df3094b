//! `GET /events?user=…`: server-sent events for the page on screen:
//! - `change` whenever the state unit commits a change to the keys shown, so the page
//!   refreshes its table without a reload;
//! - `status` ([`Health`]: `live`, `broker` or `state`) when the stream opens and whenever it
//!   changes, so the page says when the viewer lost the broker or the state unit.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use modt::protocol::StateChanged;
use modt::{ConnectionState, Directory};
use modt_web::{Lang, WebError};
use tokio::sync::broadcast::{self, error::RecvError};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::keys::KeysQuery;
use super::{Access, WebState};
use crate::health::Health;

/// `GET /events`.
pub async fn stream(
    State(s): State<WebState>,
    Query(q): Query<KeysQuery>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let lang = Lang::choose(&headers, None);
    let target = match s.access(&headers, lang, q.user.as_deref()).await? {
        Access::Granted(_, t) => t,
        Access::Denied(page) => return Ok(page),
    };
    let feed = Feed {
        changes: s.live.subscribe(),
        connection: s.asker.client().connection(),
        presence: s.directory.changes(),
        directory: s.directory.clone(),
        target,
        shown: None,
        shutdown: s.shutdown.clone(),
    };
    let events = futures::stream::unfold(feed, |mut feed| async move {
        let event = feed.next().await?;
        Some((Ok::<_, Infallible>(event), feed))
    });
    Ok(Sse::new(events)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response())
}

/// One page's event source.
struct Feed {
    changes: broadcast::Receiver<Arc<StateChanged>>,
    connection: watch::Receiver<ConnectionState>,
    presence: watch::Receiver<u64>,
    directory: Directory,
    target: String,
    /// The health last sent; `None` before the first.
    shown: Option<Health>,
    shutdown: CancellationToken,
}

impl Feed {
    /// The next event for the page; `None` ends the stream (the unit stops).
    async fn next(&mut self) -> Option<Event> {
        loop {
            let connected = self.connection.borrow().connected;
            let health = Health::now(connected, &self.directory);
            if self.shown != Some(health) {
                self.shown = Some(health);
                return Some(Event::default().event("status").data(health.as_str()));
            }
            tokio::select! {
                _ = self.shutdown.cancelled() => return None,
                r = self.connection.changed() => r.ok()?,
                r = self.presence.changed() => r.ok()?,
                r = self.changes.recv() => match r {
                    Ok(change) if change.user_id == self.target => {
                        let op = format!("{:?}", change.op).to_lowercase();
                        return Some(Event::default().event("change").data(op));
                    }
                    Ok(_) => {}
                    // Missed some: a refresh catches up with all of them.
                    Err(RecvError::Lagged(_)) => {
                        return Some(Event::default().event("change").data("resync"));
                    }
                    Err(RecvError::Closed) => return None,
                },
            }
        }
    }
}
