//! The identify unit as a [`Unit`]: its MQTT routes, its web server and its session sweeper.

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
use crate::store::IdentityStore;
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

    let (q, r, s) = (identity.clone(), identity.clone(), identity.clone());
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
        .publishes([topics::SESSION_INFO, topics::AUTH_SUCCESS])
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
        .service("session-sweeper", move |ctx: ServiceContext| sweep(s, ctx));
    Ok(unit)
}

/// Deletes sessions that can no longer be used, every [`SWEEP_EVERY`].
async fn sweep(identity: Arc<Identity>, ctx: ServiceContext) -> Result<(), ServiceError> {
    identity.run_sweeper(SWEEP_EVERY, ctx.shutdown).await;
    Ok(())
}
