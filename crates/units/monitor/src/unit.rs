//! The monitor as a [`Unit`]: no topic handlers, one web service that subscribes to
//! everything, keeps [`Live`] current and serves the page and its WebSocket.

use std::sync::Arc;

use modt::{Asker, ServiceContext, ServiceError, Unit};
use modt_web::{Gatekeeper, Templates};
use tokio::net::TcpListener;
use tracing::info;

use crate::config::MonitorConfig;
use crate::live::Live;
use crate::page::MonitorPages;
use crate::web::WebState;
use crate::{ingest, page, web};

/// The unit's name and default id.
pub const NAME: &str = "monitor";
/// The unit's kind in its presence info.
pub const KIND: &str = "monitor";

/// Why the unit could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The page templates did not compile (a bug).
    #[error("monitor pages: {0}")]
    Templates(#[from] modt_web::WebError),
}

/// Builds the monitor serving its page on `listener`. `live` is the state it fills (pass
/// [`Live::new`] of the same config; tests keep a handle to look inside).
pub fn unit(
    config: MonitorConfig,
    live: Arc<Live>,
    listener: TcpListener,
) -> Result<Unit, BuildError> {
    let public_url = modt_web::serve::public_url(&listener, config.public_url.as_deref());
    let templates = Arc::new(Templates::new(page::TEMPLATES)?);
    let unit = Unit::new(NAME, KIND, env!("CARGO_PKG_VERSION"))
        .http_url(public_url.clone())
        .admins_only();
    let unit = modt_web::nav::with_titles(unit, &crate::messages::CATALOG).service(
        "web",
        move |ctx: ServiceContext| async move {
            // Ingest and the ticker stop with the unit, or when the web side ends on its own.
            let stop = ctx.shutdown.child_token();
            let sub = ingest::subscribe(&ctx.client).await?;
            let directory = ctx.directory().await?;
            let ingesting = tokio::spawn(ingest::run(live.clone(), sub, stop.clone()));
            let ticking = tokio::spawn(ingest::tick(
                live.clone(),
                config.stats_interval,
                stop.clone(),
            ));
            let pages = MonitorPages {
                templates,
                directory: directory.clone(),
                public_url: public_url.clone(),
                identify_url: config.identify_url.clone(),
            };
            let asker = Asker::new(ctx.client.clone(), directory.clone());
            let gate = Gatekeeper::new(asker, directory, public_url.clone())
                .identify_url(config.identify_url)
                .timeout(config.session_timeout)
                .pages(pages.clone());
            let state = WebState {
                gate,
                pages,
                live,
                shutdown: ctx.shutdown.clone(),
                buffer_capacity: config.buffer.max(1),
            };
            info!(url = %public_url, "monitor at {public_url}/");
            let served =
                modt_web::serve::serve(listener, web::router(state), ctx.shutdown.clone()).await;
            stop.cancel();
            let _ = ingesting.await;
            let _ = ticking.await;
            served?;
            Ok::<(), ServiceError>(())
        },
    );
    Ok(unit)
}
