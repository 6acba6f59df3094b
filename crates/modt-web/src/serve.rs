//! Binding a web unit's listener and serving its router until shutdown.
//!
//! Units bind before they start, so a taken port is a clear start-up error, and the public
//! URL of an ephemeral port (`:0`) is known before the unit announces it.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// How long open connections (live pages) get to finish after shutdown.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

/// Why a listener could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum BindError {
    /// The address does not parse or resolve.
    #[error("cannot listen on {addr}: {source}")]
    Io {
        /// What was asked for.
        addr: String,
        /// Why.
        source: std::io::Error,
    },
}

/// Binds `addr` (`host:port`; port 0 picks a free one).
pub async fn bind(addr: &str) -> Result<TcpListener, BindError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| BindError::Io {
            addr: addr.to_string(),
            source,
        })
}

/// The URL browsers use: `configured` if given, else `http://` + the bound address
/// (a wildcard bind is shown as 127.0.0.1, which works from the same machine).
pub fn public_url(listener: &TcpListener, configured: Option<&str>) -> String {
    if let Some(url) = configured {
        return url.trim_end_matches('/').to_string();
    }
    match listener.local_addr() {
        Ok(addr) if addr.ip().is_unspecified() => format!("http://127.0.0.1:{}", addr.port()),
        Ok(addr) => format!("http://{addr}"),
        Err(_) => "http://127.0.0.1".to_string(),
    }
}

/// Serves `router` on `listener` until `shutdown` fires, then lets open requests finish for
/// up to [`SHUTDOWN_GRACE`]. Handlers see the client address as `ConnectInfo<SocketAddr>`.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let app = router.into_make_service_with_connect_info::<SocketAddr>();
    let graceful =
        axum::serve(listener, app).with_graceful_shutdown(shutdown.clone().cancelled_owned());
    tokio::select! {
        r = graceful => r,
        _ = async { shutdown.cancelled().await; tokio::time::sleep(SHUTDOWN_GRACE).await } => Ok(()),
    }
}
