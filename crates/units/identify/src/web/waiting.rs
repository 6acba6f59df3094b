//! `GET /waiting`: after a login, the page that moves on to the first app that announced
//! `modt/app/ready` for this session; `GET /waiting/events` is its event stream (SSE).
//!
//! The session comes from the HttpOnly cookie, never from the URL. Without JavaScript the
//! page refreshes itself, and once an app is known `GET /waiting` sends the browser there
//! (meta refresh, plus a link). When no app answers in time, the page lists the apps online
//! (from presence) instead.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::stream;
use modt_web::pages::SeeOther;
use modt_web::{Lang, Page, WebError};
use serde::Deserialize;
use tokio::time::Instant;

use super::WebState;
use crate::handshake::{ReadyApp, Watch};

/// Query flags of the waiting page.
#[derive(Debug, Default, Deserialize)]
pub struct WaitingQuery {
    /// `en` or `ja`.
    pub lang: Option<String>,
    /// "Wait again": announce the login once more, for apps started since.
    pub again: Option<String>,
    /// The page the login started from (checked: [`WebState::next`]): opened at once,
    /// instead of the first app that answers.
    pub next: Option<String>,
}

/// `GET /waiting`.
pub async fn show(
    State(state): State<WebState>,
    Query(q): Query<WaitingQuery>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let Some((key, user)) = state.session(&headers).await? else {
        return Ok(SeeOther::to("/login").into_response());
    };
    if q.again.is_some() {
        let handshake = state.identity.handshakes.begin(key.clone()).await;
        super::login::announce(&state, &user, handshake).await;
        return Ok(SeeOther::to("/waiting").into_response());
    }
    let lang = Lang::choose(&headers, q.lang.as_deref());
    let watch = state.identity.handshakes.watch(&key).await;
    let back = state.next(q.next.as_deref()).map(|url| ReadyApp {
        app_name: state.title_of(&url, lang).unwrap_or_else(|| url.clone()),
        redirect_url: url,
    });
    // A known app is opened by a meta refresh, not a 303: this page is the end of the login
    // form's redirect chain, and CSP `form-action 'self'` forbids that chain from leaving
    // the site.
    let ready = back.or_else(|| {
        let app = watch.as_ref().and_then(|w| w.ready.borrow().clone())?;
        // Its announced title, in the visitor's language, rather than its app name.
        Some(ReadyApp {
            app_name: state
                .title_of(&app.redirect_url, lang)
                .unwrap_or(app.app_name),
            redirect_url: app.redirect_url,
        })
    });
    let waiting = ready.is_none() && watch.is_some_and(|w| Instant::now() < w.deadline);
    let title = match (&ready, waiting) {
        (None, false) => "timeout_title",
        _ => "waiting_title",
    };
    let html = state.render(
        "waiting.html",
        lang,
        title,
        Some(&user),
        minijinja::context! { ready => ready, waiting => waiting, apps => state.apps(lang, &user) },
    )?;
    Ok(Page::new(html).into_response())
}

/// `GET /waiting/events`: one event, `ready` (with `redirect_url`) or `timeout`.
pub async fn events(
    State(state): State<WebState>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let Some((key, _)) = state.session(&headers).await? else {
        return Ok(StatusCode::UNAUTHORIZED.into_response());
    };
    let watch = state.identity.handshakes.watch(&key).await;
    let shutdown = state.shutdown.clone();
    let one = stream::once(async move {
        let event = match watch {
            Some(w) => wait(w, shutdown).await,
            None => Outcome::Timeout,
        };
        Ok::<_, Infallible>(event.into_event())
    });
    Ok(Sse::new(one)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response())
}

enum Outcome {
    Ready(ReadyApp),
    Timeout,
    Stopping,
}

impl Outcome {
    fn into_event(self) -> Event {
        match self {
            Outcome::Ready(app) => Event::default()
                .event("ready")
                .json_data(&app)
                .unwrap_or_else(|_| Event::default().event("timeout").data("{}")),
            Outcome::Timeout => Event::default().event("timeout").data("{}"),
            // The browser's EventSource reconnects by itself, to the next instance.
            Outcome::Stopping => Event::default().comment("stopping"),
        }
    }
}

async fn wait(mut w: Watch, shutdown: tokio_util::sync::CancellationToken) -> Outcome {
    loop {
        if let Some(app) = w.ready.borrow_and_update().clone() {
            return Outcome::Ready(app);
        }
        tokio::select! {
            changed = w.ready.changed() => if changed.is_err() { return Outcome::Timeout },
            _ = tokio::time::sleep_until(w.deadline) => return Outcome::Timeout,
            _ = shutdown.cancelled() => return Outcome::Stopping,
        }
    }
}
