//! `GET /events`: server-sent events for the visitor's open page: `change` with the
//! [`TodoChanged`] as JSON whenever one of their todos changes (through any replica, from
//! any tab or client), so the page refreshes that item; `resync` when the page fell behind
//! and skipped some, so it reloads its list. Not logged in: 401; too many pages: 503.

use std::sync::Arc;

use axum::extract::State;
use axum::response::sse::Event;
use axum::response::{IntoResponse, Response};
use modt::protocol::TodoChanged;
use modt_web::push::{self, Delivery, Receiver};
use modt_web::{ApiError, RequireUser};

use super::WebState;

/// `GET /events`.
pub async fn stream(State(s): State<WebState>, RequireUser(user): RequireUser) -> Response {
    let changes = match s.live.follow(user.user_id) {
        Ok(rx) => rx,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let events = futures::stream::unfold(changes, |mut changes| async move {
        let event = next(&mut changes).await?;
        Some((event, changes))
    });
    push::sse::stream(events, s.shutdown.clone())
}

/// The next event for the page; `None` ends the stream (the unit stops).
async fn next(changes: &mut Receiver<Arc<TodoChanged>>) -> Option<Event> {
    Some(match changes.recv().await? {
        Delivery::Item(change) => {
            let data = serde_json::to_string(&*change).unwrap_or_default();
            Event::default().event("change").data(data)
        }
        Delivery::Skipped(_) => Event::default().event("resync").data("resync"),
    })
}
