//! Building the gateway for a program: the route table loaded and checked, the OpenAPI
//! document rendered, the listener bound, and one web service that owns the gateway's tasks
//! (presence, the key set, rate-limit sweeps) and stops them with the unit.

use std::sync::Arc;

use modt::directory::web_origin;
use modt::protocol::topics;
use modt::unit::{BuildError, Setup};
use modt::{Asker, ServiceContext, ServiceError, Unit};
use modt_web::{Gatekeeper, Templates, UnitPages};
use tokio::net::TcpListener;
use tracing::info;

use crate::auth::jwks::{self, KeyRing};
use crate::auth::{bearer, Authenticator};
use crate::http::messages::CATALOG;
use crate::http::{self, Gateway, Parts, RESERVED_PATHS};
use crate::limit::{self, RateLimits};
use crate::presence::{self, Presence};
use crate::routes::{RouteTable, MAX_TIMEOUT};
use crate::Args;

/// The unit's name and default id.
pub const NAME: &str = "gateway";
/// Its kind in its presence info.
pub const KIND: &str = "gateway";
/// The gateway's default web port.
pub const DEFAULT_PORT: u16 = 8084;

const ROUTES_SETTING: &str = "--gateway-routes / MODT_GATEWAY_ROUTES";

/// Builds the gateway.
pub async fn build(args: Args, setup: &Setup) -> Result<Unit, BuildError> {
    if args.timeout.is_zero() || args.timeout > MAX_TIMEOUT {
        return Err(BuildError::setting(
            "--gateway-timeout / MODT_GATEWAY_TIMEOUT",
            format!("more than 0 and at most {MAX_TIMEOUT:?}"),
        ));
    }
    let table = RouteTable::load(args.routes.as_deref(), args.timeout)
        .map_err(|e| BuildError::setting(ROUTES_SETTING, e.to_string()))?;
    if let Some(route) = table
        .routes()
        .iter()
        .find(|r| RESERVED_PATHS.contains(&r.path.as_str()))
    {
        return Err(BuildError::setting(
            ROUTES_SETTING,
            format!(
                "route {:?}: {} is the gateway's own",
                route.name(),
                route.path
            ),
        ));
    }
    let mut origins = Vec::new();
    for origin in &args.allowed_origins {
        match web_origin(origin) {
            Some(o) => origins.push(o),
            None => {
                return Err(BuildError::setting(
                    "--gateway-allowed-origins / MODT_GATEWAY_ALLOWED_ORIGINS",
                    format!("{origin:?} is not an http(s) origin"),
                ))
            }
        }
    }
    let document = crate::openapi::document(&table).map_err(|e| BuildError::other(NAME, e))?;
    let templates =
        Templates::new(http::docs::TEMPLATES).map_err(|e| BuildError::other(NAME, e))?;
    let (listener, url) = modt_web::serve::listen(NAME, &setup.web, DEFAULT_PORT).await?;
    origins.extend(web_origin(&url));
    let config = Config {
        table: Arc::new(table),
        openapi: Arc::from(document),
        templates: Arc::new(templates),
        issuer: args.issuer,
        audience: args.audience,
        origins,
        public_url: url,
        identify_url: setup.web.identify_url.clone(),
        metrics_public: args.metrics_public,
    };
    Ok(setup.apply(unit(config, listener)))
}

/// What the web service needs, settled at build time.
#[derive(Debug)]
struct Config {
    table: Arc<RouteTable>,
    openapi: Arc<str>,
    /// The docs page's template.
    templates: Arc<Templates>,
    issuer: String,
    audience: String,
    origins: Vec<String>,
    public_url: String,
    identify_url: Option<String>,
    /// Whether the listener answers `GET /metrics`.
    metrics_public: bool,
}

fn unit(config: Config, listener: TcpListener) -> Unit {
    let mut publishes: Vec<_> = config
        .table
        .routes()
        .iter()
        .map(|r| r.topic.clone())
        .collect();
    publishes.push(topics::SESSION_QUERY);
    publishes.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    publishes.dedup();
    let unit = Unit::new(NAME, KIND, env!("CARGO_PKG_VERSION")).http_url(config.public_url.clone());
    modt_web::nav::with_titles(unit, &CATALOG)
        .publishes(publishes)
        .service("web", move |ctx: ServiceContext| {
            serve(config, listener, ctx)
        })
}

async fn serve(
    config: Config,
    listener: TcpListener,
    ctx: ServiceContext,
) -> Result<(), ServiceError> {
    // The gateway's tasks stop with the unit, or when the web side ends on its own.
    let stop = ctx.shutdown.child_token();
    let directory = ctx.directory().await?;
    ctx.client.fail_fast_with(directory.clone());
    let presence = Presence::new(config.origins, ctx.client.connection());
    let (ring, refetch) = KeyRing::new();
    let ring = Arc::new(ring);
    let limits = Arc::new(RateLimits::new(&config.table));
    let mut tasks = tokio::task::JoinSet::new();
    tasks.spawn(presence::follow(
        presence.clone(),
        directory.clone(),
        stop.clone(),
    ));
    tasks.spawn(limit::sweep(limits.clone(), stop.clone()));
    let watching = {
        let (client, ring, stop) = (ctx.client.clone(), ring.clone(), stop.clone());
        tokio::spawn(jwks::watch(client, ring, refetch, stop))
    };
    let pages = UnitPages::new(
        config.templates,
        directory.clone(),
        config.public_url.clone(),
        &CATALOG,
    );
    let gate = Gatekeeper::new(
        Asker::new(ctx.client.clone(), directory.clone()),
        directory,
        config.public_url.clone(),
    )
    .identify_url(config.identify_url);
    let validation = bearer::validation(&config.issuer, &config.audience);
    let gateway = Gateway::new(Parts {
        table: config.table,
        client: ctx.client.clone(),
        auth: Authenticator::new(ring.clone(), validation, gate, presence.clone()),
        limits,
        presence,
        ring,
        openapi: config.openapi,
        pages,
    });
    let url = config.public_url;
    info!(%url, "API gateway at {url}/ (docs at {url}/docs)");
    let router = http::router(gateway);
    let served = match config.metrics_public {
        true => modt_web::serve::serve(listener, router, ctx.shutdown).await,
        false => modt_web::serve::serve_without_metrics(listener, router, ctx.shutdown).await,
    };
    stop.cancel();
    while tasks.join_next().await.is_some() {}
    let watched = watching.await;
    served?;
    match watched {
        Ok(result) => result.map_err(Into::into),
        Err(e) => Err(e.into()),
    }
}
