//! `GET /events`: server-sent events for an open devices page (any logged-in user):
//!
//! - `devices`: a JSON array of `DeviceEvent`s (readings of a datalogger, a gateway's
//!   status), in arrival order: what up to [`MAX_BATCH`] messages of them carried — batched,
//!   so a busy plant costs a page one event per batch, not per change;
//! - `status`: a connection's `ConnectionStatus` (each connection's current one first);
//! - `failure`: a `ParseFailure` the parsers just logged;
//! - `resync`: the page fell behind on one feed (`devices`, `status` or `failure` in the
//!   data) and skipped some; it reloads that part.
//!
//! Not logged in: 401; too many pages: 503.

use axum::extract::State;
use axum::response::sse::Event;
use axum::response::{IntoResponse, Response};
use modt_web::push::{self, feed::event, Delivery};
use modt_web::{ApiError, RequireUser};

use super::live::Follower;
use super::WebState;

/// Most messages of device events in one `devices` event.
pub const MAX_BATCH: usize = 64;

/// `GET /events`.
pub async fn stream(State(s): State<WebState>, RequireUser(_user): RequireUser) -> Response {
    let follower = match s.live.follow() {
        Ok(f) => f,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let events = futures::stream::unfold(follower, |mut f| async move {
        let event = next(&mut f).await?;
        Some((event, f))
    });
    push::sse::stream(events, s.shutdown.clone())
}

/// The next event for the page; `None` ends the stream (the unit stops).
async fn next(f: &mut Follower) -> Option<Event> {
    for (feed, skipped) in [
        ("devices", f.devices.take_skipped()),
        ("status", f.statuses.take_skipped()),
        ("failure", f.failures.take_skipped()),
    ] {
        if skipped > 0 {
            return Some(Event::default().event("resync").data(feed));
        }
    }
    let mut batch = Vec::new();
    tokio::select! {
        n = f.devices.recv_many(&mut batch, MAX_BATCH) => {
            if n == 0 {
                return None;
            }
            let items: Vec<_> = batch.iter().flat_map(|e| e.events.iter()).collect();
            Some(event("devices", &items))
        }
        d = f.statuses.recv() => Some(match d? {
            Delivery::Item(status) => event("status", &*status),
            Delivery::Skipped(_) => Event::default().event("resync").data("status"),
        }),
        d = f.failures.recv() => Some(match d? {
            Delivery::Item(dead) => event("failure", &dead.failure),
            Delivery::Skipped(_) => Event::default().event("resync").data("failure"),
        }),
    }
}
