//! The sample app as a [`Unit`]: one MQTT route (the handshake) and one web service (the page).

use std::sync::Arc;

use axum::routing::get;
use axum::Router;
use modt::protocol::topics;
use modt::{Asker, ServiceContext, ServiceError, Unit};
use modt_web::{Gatekeeper, Templates};
use tokio::net::TcpListener;
use tracing::info;

use crate::config::DummyConfig;
use crate::handshake::{self, Handshake};
use crate::page::{self, PageState, SignedOutPages};

/// The unit's name and default id.
pub const NAME: &str = "dummy";
/// The unit's kind in its presence info: an app users can open.
pub const KIND: &str = "app";

/// Why the unit could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The page templates did not compile (a bug).
    #[error("sample app pages: {0}")]
    Templates(#[from] modt_web::WebError),
}

/// Builds the sample app serving its page on `listener`.
pub fn unit(config: DummyConfig, listener: TcpListener) -> Result<Unit, BuildError> {
    let public_url = modt_web::serve::public_url(&listener, config.public_url.as_deref());
    let templates = Arc::new(Templates::new(page::TEMPLATES)?);
    let h = Arc::new(Handshake {
        app_name: config.app_name.clone(),
        redirect_url: format!("{public_url}/"),
    });
    let unit = Unit::new(NAME, KIND, env!("CARGO_PKG_VERSION")).http_url(public_url.clone());
    let unit = modt_web::nav::with_titles(unit, &crate::messages::CATALOG)
        .route(topics::AUTH_SUCCESS.to_filter(), move |ctx, msg| {
            handshake::handle(h.clone(), ctx, msg)
        })
        .publishes([topics::APP_READY, topics::SESSION_QUERY])
        .service("web", move |ctx: ServiceContext| async move {
            let directory = ctx.directory().await?;
            let pages = SignedOutPages {
                templates: templates.clone(),
                directory: directory.clone(),
                public_url: public_url.clone(),
            };
            let asker = Asker::new(ctx.client.clone(), directory.clone());
            let gate = Gatekeeper::new(asker, directory, public_url.clone())
                .identify_url(config.identify_url)
                .timeout(config.session_timeout)
                .pages(pages);
            let state = PageState {
                gate,
                templates,
                viewer_url: config.viewer_url,
            };
            let router = Router::new()
                .route("/", get(page::show))
                .route("/healthz", get(|| async { "ok" }))
                .merge(modt_web::assets::routes())
                .with_state(state);
            info!(url = %public_url, "sample app at {public_url}/");
            modt_web::serve::serve(listener, modt_web::headers::secure(router), ctx.shutdown)
                .await?;
            Ok::<(), ServiceError>(())
        });
    Ok(unit)
}
