//! The identify unit as a [`Unit`]: its MQTT routes, its web server, its session sweeper and
//! its token-key keeper.

use std::sync::Arc;
use std::time::Duration;

use modt::protocol::topics;
use modt::{ServiceContext, ServiceError, Unit};
use modt_web::cookies::CookieScope;
use modt_web::Templates;
use tokio::net::TcpListener;
use tracing::info;

use crate::config::IdentifyConfig;
use crate::core::Identity;
use crate::mqtt;
use crate::mqtt::token;
use crate::store::IdentityStore;
use crate::tokens::keeper;
use crate::web::{self, WebState};

/// The unit's name and default id.
pub const NAME: &str = "identify";
/// The unit's kind in its presence info (apps find the login page by it).
pub const KIND: &str = "identify";
/// The database file in the data directory.
pub const DB_FILE: &str = "modt_identify.db";
/// How often expired and revoked sessions are deleted.
pub const SWEEP_EVERY: Duration = Duration::from_secs(600);

/// Why the unit could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The page templates did not compile (a bug).
    #[error("identify unit pages: {0}")]
    Templates(#[from] modt_web::WebError),
}

/// Builds the identify unit serving its pages on `listener`.
pub fn unit(
    store: Arc<dyn IdentityStore>,
    config: IdentifyConfig,
    listener: TcpListener,
) -> Result<Unit, BuildError> {
    let public_url = modt_web::serve::public_url(&listener, config.public_url.as_deref());
    let scope = CookieScope::for_url(&public_url, config.cookie_domain.clone());
    let templates = Arc::new(Templates::new(web::TEMPLATES)?);
    let identity = Identity::new(store, config);
    let identity_for_routes = identity.clone();

    let (q, r, s, k) = (
        identity.clone(),
        identity.clone(),
        identity.clone(),
        identity.clone(),
    );
    let unit = Unit::new(NAME, KIND, env!("CARGO_PKG_VERSION"))
        .http_url(public_url.clone())
        .title("en", "Account")
        .title("ja", "アカウント")
        .route(topics::SESSION_QUERY.to_filter(), move |ctx, msg| {
            mqtt::session_query::handle(q.clone(), ctx, msg)
        })
        .route(topics::APP_READY.to_filter(), move |ctx, msg| {
            mqtt::app_ready::handle(r.clone(), ctx, msg)
        })
        .publishes([
            topics::SESSION_INFO,
            topics::AUTH_SUCCESS,
            topics::AUTH_JWKS,
        ])
        .service("web", move |ctx: ServiceContext| async move {
            let directory = ctx.directory().await?;
            let state = WebState {
                identity,
                client: ctx.client.clone(),
                directory,
                templates,
                scope,
                public_url: public_url.clone(),
                shutdown: ctx.shutdown.clone(),
            };
            info!(url = %public_url, "identify pages at {public_url}/login");
            modt_web::serve::serve(listener, web::router(state), ctx.shutdown).await?;
            Ok::<(), ServiceError>(())
        })
        .service("session-sweeper", move |ctx: ServiceContext| sweep(s, ctx))
        .service("token-keys", move |ctx: ServiceContext| async move {
            keeper::run(k, ctx.client.clone(), ctx.shutdown.clone()).await;
            Ok::<(), ServiceError>(())
        });
    Ok(token_routes(unit, &identity_for_routes))
}

/// The token API's routes (docs/protocol.md, "Tokens"), shared by the unit's replicas: each
/// request is answered once.
fn token_routes(unit: Unit, identity: &Arc<Identity>) -> Unit {
    let (a, b, c, d, e) = (
        identity.clone(),
        identity.clone(),
        identity.clone(),
        identity.clone(),
        identity.clone(),
    );
    unit.route_shared(topics::AUTH_TOKEN_REGISTER.to_filter(), move |ctx, msg| {
        token::register::handle(a.clone(), ctx, msg)
    })
    .route_shared(topics::AUTH_TOKEN_LOGIN.to_filter(), move |ctx, msg| {
        token::login::handle(b.clone(), ctx, msg)
    })
    .route_shared(topics::AUTH_TOKEN_REFRESH.to_filter(), move |ctx, msg| {
        token::refresh::handle(c.clone(), ctx, msg)
    })
    .route_shared(topics::AUTH_TOKEN_LOGOUT.to_filter(), move |ctx, msg| {
        token::logout::handle(d.clone(), ctx, msg)
    })
    .route_shared(
        topics::AUTH_TOKEN_LOGOUT_ALL.to_filter(),
        move |ctx, msg| token::logout::handle_all(e.clone(), ctx, msg),
    )
}

/// Deletes sessions that can no longer be used, every [`SWEEP_EVERY`].
async fn sweep(identity: Arc<Identity>, ctx: ServiceContext) -> Result<(), ServiceError> {
    identity.run_sweeper(SWEEP_EVERY, ctx.shutdown).await;
    Ok(())
}
