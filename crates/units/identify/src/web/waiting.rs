//! `GET /waiting`: after a login, the page that moves on to the first app that announced
//! `modt/app/ready` for this session; `GET /waiting/events` is its event stream (SSE).
//!
//! The session comes from the HttpOnly cookie, never from the URL. Without JavaScript the
//! page refreshes itself, and once an app is known `GET /waiting` sends the browser there
//! (meta refresh, plus a link). When no app answers in time, the page lists the apps online
//! (from presence) instead.

use axum::extract::{Extension, Query, State};
use axum::response::sse::Event;
use axum::response::{IntoResponse, Response};
use futures::stream;
use modt_web::pages::SeeOther;
use modt_web::push::{self, ClientLimit};
use modt_web::{ApiError, Lang, Page, WebError};
use serde::Deserialize;
use tokio::time::Instant;

use super::signed_in::SignedIn;
use super::WebState;
use crate::handshake::{ReadyApp, Watch};

/// Waiting pages with an open event stream at once; one more gets 503 (and the page still
/// refreshes itself).
pub const MAX_WAITING_STREAMS: usize = 10_000;

/// The cap on open waiting-page streams, shared by the router's handlers.
#[derive(Debug, Clone)]
pub struct WaitingStreams(pub ClientLimit);

impl Default for WaitingStreams {
    fn default() -> Self {
        WaitingStreams(ClientLimit::new(MAX_WAITING_STREAMS))
    }
}

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
    lang: Lang,
    SignedIn { key, user }: SignedIn,
    Query(q): Query<WaitingQuery>,
) -> Result<Response, WebError> {
    if q.again.is_some() {
        let handshake = state.identity.handshakes.begin(key.clone()).await;
        super::login::announce(&state, &user, handshake).await;
        return Ok(SeeOther::to("/waiting").into_response());
    }
    let watch = state.identity.handshakes.watch(&key).await;
    let back = state.next(q.next.as_deref()).map(|url| ReadyApp {
        app_name: state.title_of(&url, lang).unwrap_or_else(|| url.clone()),
        redirect_url: url,
    });
    // A known app is opened by a meta refresh, not a 303: this page is the end of the login
    // form's redirect chain, and CSP `form-action 'self'` forbids that chain from leaving
    // the site.
    let ready = back.or_else(|| {
        let app = watch.as_ref().and_then(|w| w.answered.clone())?;
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

/// `GET /waiting/events`: one event, `ready` (with `redirect_url`) or `timeout`, from the
/// login's handshake; through [`push::sse`], so the stream ends when the unit stops (the
/// browser's `EventSource` then reconnects, to the next instance). At most
/// [`MAX_WAITING_STREAMS`] at once.
pub async fn events(
    State(state): State<WebState>,
    Extension(streams): Extension<WaitingStreams>,
    SignedIn { key, .. }: SignedIn,
) -> Response {
    let place = match streams.0.admit() {
        Ok(place) => place,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let watch = state.identity.handshakes.watch(&key).await;
    let one = stream::once(async move {
        let _place = place;
        let outcome = match watch {
            Some(w) => wait(w).await,
            None => Outcome::Timeout,
        };
        outcome.into_event()
    });
    push::sse::stream(one, state.shutdown.clone())
}

enum Outcome {
    Ready(ReadyApp),
    Timeout,
}

impl Outcome {
    fn into_event(self) -> Event {
        match self {
            Outcome::Ready(app) => Event::default()
                .event("ready")
                .json_data(&app)
                .unwrap_or_else(|_| Event::default().event("timeout").data("{}")),
            Outcome::Timeout => Event::default().event("timeout").data("{}"),
        }
    }
}

async fn wait(w: Watch) -> Outcome {
    match w.ready().await {
        Some(app) => Outcome::Ready(app),
        None => Outcome::Timeout,
    }
}
