//! `GET /events?user=…`: server-sent events for the page on screen:
//! - `change` whenever the state unit commits a change to the keys shown, so the page
//!   refreshes its table without a reload (`resync` when the page fell behind and skipped
//!   some: the refresh catches up with all of them);
//! - `status` ([`Health`]: `live`, `broker` or `state`) when the stream opens and whenever it
//!   changes, so the page says when the viewer lost the broker or the state unit.
//!
//! A visitor who is not logged in, or too many open pages, get a JSON error (401 / 503).

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::response::sse::Event;
use axum::response::{IntoResponse, Response};
use modt::protocol::StateChanged;
use modt::{ConnectionState, Directory};
use modt_web::push::{self, Delivery, Receiver};
use modt_web::{ApiError, Lang, RequireUser};
use tokio::sync::watch;

use super::keys::KeysQuery;
use super::WebState;
use crate::health::Health;

/// `GET /events`.
pub async fn stream(
    State(s): State<WebState>,
    lang: Lang,
    RequireUser(user): RequireUser,
    Query(q): Query<KeysQuery>,
) -> Response {
    let Some(target) = s.target(&user, q.user.as_deref()) else {
        return s.forbidden(lang, &user);
    };
    let changes = match s.live.follow(target) {
        Ok(rx) => rx,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let feed = Feed {
        changes,
        connection: s.gate.asker().client().connection(),
        presence: s.gate.directory().changes(),
        directory: s.gate.directory().clone(),
        shown: None,
    };
    let events = futures::stream::unfold(feed, |mut feed| async move {
        let event = feed.next().await?;
        Some((event, feed))
    });
    push::sse::stream(events, s.shutdown.clone())
}

/// One page's event source.
struct Feed {
    changes: Receiver<Arc<StateChanged>>,
    connection: watch::Receiver<ConnectionState>,
    presence: watch::Receiver<u64>,
    directory: Directory,
    /// The health last sent; `None` before the first.
    shown: Option<Health>,
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
                r = self.connection.changed() => r.ok()?,
                r = self.presence.changed() => r.ok()?,
                d = self.changes.recv() => return match d? {
                    Delivery::Item(change) => {
                        let op = format!("{:?}", change.op).to_lowercase();
                        Some(Event::default().event("change").data(op))
                    }
                    // Missed some: a refresh catches up with all of them.
                    Delivery::Skipped(_) => Some(Event::default().event("change").data("resync")),
                },
            }
        }
    }
}
