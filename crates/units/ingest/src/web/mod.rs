//! The ingest unit's web side. A placeholder until the devices page lands: it announces the
//! web side and answers `GET /healthz`.

use axum::routing::get;
use axum::Router;
use modt::{ServiceContext, ServiceError, Unit};
use modt_web::WebError;
use tokio::net::TcpListener;

use crate::unit::WebConfig;

/// `unit` with its web side served on `listener`, announced at its public URL.
pub fn serve(unit: Unit, config: WebConfig, listener: TcpListener) -> Result<Unit, WebError> {
    let public_url = modt_web::serve::public_url(&listener, config.public_url.as_deref());
    let unit = unit.http_url(public_url.clone());
    Ok(unit.service("web", move |ctx: ServiceContext| async move {
        tracing::info!(url = %public_url, "ingest page at {public_url}/");
        modt_web::serve::serve(listener, router(), ctx.shutdown).await?;
        Ok::<(), ServiceError>(())
    }))
}

/// The web side's routes.
pub fn router() -> Router {
    Router::new().route("/healthz", get(|| async { "ok" }))
}
