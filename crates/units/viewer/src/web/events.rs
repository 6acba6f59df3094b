//! `GET /events?user=…`: a server-sent `change` event whenever the state unit commits a change
//! to the keys on screen, so the page refreshes its table without a reload.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use modt_web::{Lang, WebError};
use tokio::sync::broadcast::error::RecvError;

use super::keys::KeysQuery;
use super::{Access, WebState};

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
    let rx = s.live.subscribe();
    let shutdown = s.shutdown.clone();
    let events = futures::stream::unfold(
        (rx, target, shutdown),
        |(mut rx, target, shutdown)| async move {
            loop {
                let next = tokio::select! {
                    _ = shutdown.cancelled() => return None,
                    r = rx.recv() => r,
                };
                let event = match next {
                    Ok(change) if change.user_id == target => Event::default()
                        .event("change")
                        .data(format!("{:?}", change.op).to_lowercase()),
                    Ok(_) => continue,
                    // Missed some: a refresh catches up with all of them.
                    Err(RecvError::Lagged(_)) => Event::default().event("change").data("resync"),
                    Err(RecvError::Closed) => return None,
                };
                return Some((Ok::<_, Infallible>(event), (rx, target, shutdown)));
            }
        },
    );
    Ok(Sse::new(events)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response())
}
