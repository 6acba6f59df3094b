//! The viewer as a [`Unit`]: no topic handlers of its own, one web service.

use std::sync::Arc;

use modt::protocol::topics;
use modt::{Asker, ServiceContext, ServiceError, Unit};
use modt_web::cookies::CookieScope;
use modt_web::{Gatekeeper, Templates, UnitPages};
use tokio::net::TcpListener;
use tracing::info;

use crate::config::ViewerConfig;
use crate::live::Live;
use crate::state::StateApi;
use crate::web::{self, WebState};

/// The unit's name and default id.
pub const NAME: &str = "viewer";
/// The unit's kind in its presence info (apps link to it by kind).
pub const KIND: &str = "viewer";

/// Why the unit could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The page templates did not compile (a bug).
    #[error("viewer pages: {0}")]
    Templates(#[from] modt_web::WebError),
}

/// Builds the viewer serving its pages on `listener`.
pub fn unit(config: ViewerConfig, listener: TcpListener) -> Result<Unit, BuildError> {
    let public_url = modt_web::serve::public_url(&listener, config.public_url.as_deref());
    let scope = CookieScope::for_url(&public_url, None);
    let templates = Arc::new(Templates::new(web::TEMPLATES)?);
    let unit = Unit::new(NAME, KIND, env!("CARGO_PKG_VERSION")).http_url(public_url.clone());
    let unit = modt_web::nav::with_titles(unit, &crate::messages::CATALOG)
        .publishes([
            topics::SESSION_QUERY,
            topics::STATE_ALL_GET,
            topics::STATE_SET,
            topics::STATE_DELETE,
            topics::STATE_CLEAR,
        ])
        .service("web", move |ctx: ServiceContext| async move {
            // The change feed stops with the unit, or when the web side ends on its own.
            let stop = ctx.shutdown.child_token();
            let directory = ctx.directory().await?;
            let (live, feeding) = Live::watch(&ctx.client, stop.clone()).await?;
            let asker = Asker::new(ctx.client.clone(), directory.clone());
            let pages = UnitPages::new(
                templates,
                directory.clone(),
                public_url.clone(),
                &crate::messages::CATALOG,
            );
            let gate = Gatekeeper::new(asker.clone(), directory, public_url.clone())
                .identify_url(config.identify_url)
                .timeout(config.timeout)
                .pages(pages.clone());
            let state = WebState {
                gate,
                state: StateApi::new(asker, config.timeout),
                live,
                pages,
                scope,
                shutdown: stop.clone(),
            };
            info!(url = %public_url, "viewer at {public_url}/");
            let served = modt_web::serve::serve(listener, web::router(state), ctx.shutdown).await;
            stop.cancel();
            let _ = feeding.await;
            served?;
            Ok::<(), ServiceError>(())
        });
    Ok(unit)
}
