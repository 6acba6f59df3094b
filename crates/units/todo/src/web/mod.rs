//! The todo unit's web side: one page that lists, adds, ticks, edits and deletes the
//! visitor's todos by calling the REST API through the gateway from the browser (with the
//! session cookie, JSON, `If-Match` on edits and deletions), and a live-update stream.
//!
//! - [`page`]: `GET /`, the page (the visitor from [`modt_web::RequireUser`]).
//! - [`events`]: `GET /events`, server-sent change notices for the visitor's todos.
//! - [`live`]: one subscription to change events, fanned out to open pages.
//! - [`gateway`]: where the page's calls go, and the CSP that allows exactly that.
//! - [`messages`]: texts in English and Japanese.
//!
//! The page never reads or writes todos through this web side: every change goes through
//! the gateway, as any client's would.

pub mod events;
pub use modt_web::gateway;
pub mod live;
pub mod messages;
pub mod page;

use std::sync::Arc;

use axum::extract::FromRef;
use axum::routing::get;
use axum::Router;
use modt::protocol::topics;
use modt::{Asker, ServiceContext, ServiceError, Unit};
use modt_web::{Gatekeeper, Templates, UnitPages, WebError};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::unit::TodoConfig;
use gateway::Gateway;
use live::Live;
use messages::CATALOG;

/// The pages' templates, compiled into the binary.
pub const TEMPLATES: &[(&str, &str)] = &[
    ("todos.html", include_str!("../../templates/todos.html")),
    ("problem.html", include_str!("../../templates/problem.html")),
];

/// What every handler gets.
#[derive(Debug, Clone)]
pub struct WebState {
    /// Who is visiting, for the extractors.
    pub gate: Gatekeeper,
    /// Compiled pages and what they show around them (the problem page answers refused
    /// visitors too).
    pub pages: UnitPages,
    /// Where the page's API calls go.
    pub gateway: Gateway,
    /// Change events.
    pub live: Live,
    /// Fires when the unit stops (ends event streams).
    pub shutdown: CancellationToken,
}

impl FromRef<WebState> for Gatekeeper {
    fn from_ref(s: &WebState) -> Gatekeeper {
        s.gate.clone()
    }
}

/// `unit` with its page served on `listener`: announced at its public URL with its titles,
/// the page and the event stream as the `web` service.
pub fn serve(unit: Unit, config: TodoConfig, listener: TcpListener) -> Result<Unit, WebError> {
    let public_url = modt_web::serve::public_url(&listener, config.public_url.as_deref());
    let templates = Arc::new(Templates::new(TEMPLATES)?);
    let unit = modt_web::nav::with_titles(unit.http_url(public_url.clone()), &CATALOG)
        .publishes([topics::SESSION_QUERY]);
    Ok(unit.service("web", move |ctx: ServiceContext| async move {
        // The change feed stops with the unit, or when the web side ends on its own.
        let stop = ctx.shutdown.child_token();
        let directory = ctx.directory().await?;
        let (live, feeding) = Live::watch(&ctx.client, stop.clone()).await?;
        let pages = UnitPages::new(templates, directory.clone(), public_url.clone(), &CATALOG);
        let asker = Asker::new(ctx.client.clone(), directory.clone());
        let gate = Gatekeeper::new(asker, directory.clone(), public_url.clone())
            .identify_url(config.identify_url)
            .timeout(config.timeout)
            .pages(pages.clone());
        let state = WebState {
            gate,
            pages,
            gateway: Gateway::new(config.gateway_url, directory),
            live,
            shutdown: stop.clone(),
        };
        tracing::info!(url = %public_url, "todo page at {public_url}/");
        let served = modt_web::serve::serve(listener, router(state), ctx.shutdown).await;
        stop.cancel();
        let _ = feeding.await;
        served?;
        Ok::<(), ServiceError>(())
    }))
}

/// The router of the page, its stream and assets.
pub fn router(state: WebState) -> Router {
    let gateway = state.gateway.clone();
    let routes = Router::new()
        .route("/", get(page::show))
        .route("/events", get(events::stream))
        .route(
            "/assets/todo.js",
            get(|| async { modt_web::assets::script(include_str!("../../assets/todo.js")) }),
        )
        .route(
            "/assets/todo.css",
            get(|| async {
                (
                    [(axum::http::header::CONTENT_TYPE, "text/css; charset=utf-8")],
                    include_str!("../../assets/todo.css"),
                )
            }),
        )
        .route("/healthz", get(|| async { "ok" }))
        .merge(modt_web::assets::routes())
        .with_state(state);
    modt_web::headers::secure(routes).layer(axum::middleware::map_response_with_state(
        gateway,
        gateway::set_csp,
    ))
}
