//! The ingest unit's web side: the devices page (sites → gateways → dataloggers → sensors
//! with latest values and a chart of each sensor's recent values, the connections with
//! their live status, the discovered topics, the parse log), live, in English and Japanese.
//! Any logged-in user reads it; administrators also start and stop connections, which the
//! page does through the gateway's REST API with the session cookie (`PATCH
//! /ingest/connections/{id}`), showing a loading state until the reconciler's retained
//! status confirms.
//!
//! - [`page`]: `GET /`, the page's frame.
//! - [`api`]: `GET /api/…`, what the page shows, as JSON, from the unit's store.
//! - [`events`]: `GET /events`, server-sent device events, statuses and refusals.
//! - [`live`]: the three subscriptions fanned out to open pages.
//! - [`gateway`]: where the page's start/stop calls go, and the CSP that allows exactly that.
//! - [`messages`]: texts in English and Japanese.

pub mod api;
pub mod events;
pub use modt_web::gateway;
pub mod live;
pub mod messages;
pub mod page;

use std::sync::Arc;

use axum::extract::FromRef;
use axum::http::header::CONTENT_TYPE;
use axum::routing::get;
use axum::Router;
use modt::protocol::topics;
use modt::{Asker, ServiceContext, ServiceError, Unit};
use modt_web::{Gatekeeper, Templates, UnitPages, WebError};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::pipeline::LimitWatch;
use crate::reconcile::status::Statuses;
use crate::store::IngestStore;
use crate::unit::WebConfig;
use gateway::Gateway;
use live::Live;
use messages::CATALOG;

/// The pages' templates, compiled into the binary.
pub const TEMPLATES: &[(&str, &str)] = &[
    ("devices.html", include_str!("../../templates/devices.html")),
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
    /// Where the page's start/stop calls go.
    pub gateway: Gateway,
    /// What the bus says, for open pages.
    pub live: Live,
    /// The unit's data, read only.
    pub store: Option<Arc<dyn IngestStore>>,
    /// Each connection's live status.
    pub statuses: Statuses,
    /// The limits on topics and devices, and what they left out.
    pub limits: LimitWatch,
    /// Fires when the unit stops (ends event streams).
    pub shutdown: CancellationToken,
}

impl FromRef<WebState> for Gatekeeper {
    fn from_ref(s: &WebState) -> Gatekeeper {
        s.gate.clone()
    }
}

/// `unit` with its page served on `listener`: announced at its public URL with its titles,
/// the page, its reads and its event stream as the `web` service.
pub fn serve(unit: Unit, config: WebConfig, listener: TcpListener) -> Result<Unit, WebError> {
    let public_url = modt_web::serve::public_url(&listener, config.public_url.as_deref());
    let templates = Arc::new(Templates::new(TEMPLATES)?);
    let unit = modt_web::nav::with_titles(unit.http_url(public_url.clone()), &CATALOG)
        .publishes([topics::SESSION_QUERY]);
    Ok(unit.service("web", move |ctx: ServiceContext| async move {
        // The feeds stop with the unit, or when the web side ends on its own.
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
            store: config.store,
            statuses: config.statuses,
            limits: config.limits,
            shutdown: stop.clone(),
        };
        tracing::info!(url = %public_url, "devices page at {public_url}/");
        let served = modt_web::serve::serve(listener, router(state), ctx.shutdown).await;
        stop.cancel();
        for task in feeding {
            let _ = task.await;
        }
        served?;
        Ok::<(), ServiceError>(())
    }))
}

/// The router of the page, its reads, its stream and assets.
pub fn router(state: WebState) -> Router {
    let gateway = state.gateway.clone();
    let routes = Router::new()
        .route("/", get(page::show))
        .route("/events", get(events::stream))
        .route("/api/connections", get(api::connections))
        .route("/api/devices", get(api::devices))
        .route(
            "/api/history/{site}/{gateway}/{datalogger}/{sensor}",
            get(api::history),
        )
        .route("/api/topics", get(api::topics))
        .route("/api/parse-log", get(api::parse_log))
        .route("/api/limits", get(api::limits))
        .route(
            "/assets/devices.js",
            get(|| async { modt_web::assets::script(include_str!("../../assets/devices.js")) }),
        )
        .route(
            "/assets/devices.css",
            get(|| async {
                (
                    [(CONTENT_TYPE, "text/css; charset=utf-8")],
                    include_str!("../../assets/devices.css"),
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
