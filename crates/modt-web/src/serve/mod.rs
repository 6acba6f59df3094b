//! Binding a web unit's listener and serving its router until shutdown, within limits.
//!
//! Units bind before they start, so a taken port is a clear start-up error, and the public
//! URL of an ephemeral port (`:0`) is known before the unit announces it.
//!
//! Serving is HTTP/1.1 with upgrades (the monitor's WebSocket). Every connection is held to
//! [`ServeLimits`]: a header timeout that also closes idle keep-alive connections, a timeout
//! between the chunks of a request body, a cap per listener and per client address, and a
//! share of the process's file descriptors ([`fds`]). A connection past a cap gets a short
//! 503 or 429 with `Retry-After` ([`refuse`]) instead of waiting or being dropped silently.
//!
//! Every listener also answers `GET /metrics` (the process's Prometheus series) and records
//! each request in the per-route HTTP series ([`crate::metrics`]), labelled with the unit whose
//! service serves it: a unit gets both without a line of its own.

pub mod fds;
mod limits;
mod listen;
pub mod refuse;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;
use tower_http::timeout::RequestBodyTimeoutLayer;

pub use limits::{ServeLimits, BODY_TIMEOUT, HEADER_TIMEOUT, MAX_CONNECTIONS, MAX_PER_ADDRESS};
pub use listen::listen;

use limits::{Gate, Pass};

/// How long open connections (live pages) get to finish after shutdown.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);
/// The pause after a failed `accept` (e.g. out of file descriptors) before the next one.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);
/// At most one warning about refused connections per listener in this long.
const WARN_EVERY: Duration = Duration::from_secs(10);

/// Why a listener could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BindError {
    /// The address does not parse or resolve.
    #[error("cannot listen on {addr}")]
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

/// Serves `router` on `listener` with the default [`ServeLimits`] until `shutdown` fires, then
/// lets open requests finish for up to [`SHUTDOWN_GRACE`]. Handlers see the client address as
/// `ConnectInfo<SocketAddr>`.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    serve_with(listener, router, shutdown, ServeLimits::default()).await
}

/// [`serve`] with the given limits. Addresses no route serves get the
/// [`not_found`](crate::error_pages::not_found) page (so `router` must not set a fallback), and
/// a bare 413 becomes a [styled page](crate::error_pages::styled_too_large). `GET /metrics` is
/// [`metrics::render`](crate::metrics::render) (so `router` must not route it), and every
/// request is counted per route ([`metrics::record`](crate::metrics::record)).
pub async fn serve_with(
    listener: TcpListener,
    router: Router,
    shutdown: CancellationToken,
    limits: ServeLimits,
) -> std::io::Result<()> {
    serve_router(
        listener,
        router.merge(crate::metrics::router()),
        shutdown,
        limits,
    )
    .await
}

/// [`serve`] without `GET /metrics` on this listener, for a public listener whose operator
/// does not want the process's series shown there (they stay at the other web sides' and at
/// `--metrics-addr`); requests are still counted, and `/metrics` is the router's to answer.
pub async fn serve_without_metrics(
    listener: TcpListener,
    router: Router,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    serve_router(listener, router, shutdown, ServeLimits::default()).await
}

async fn serve_router(
    listener: TcpListener,
    router: Router,
    shutdown: CancellationToken,
    limits: ServeLimits,
) -> std::io::Result<()> {
    let fallback = crate::headers::secure(Router::new().fallback(crate::error_pages::not_found));
    crate::metrics::install();
    let http_metrics = crate::metrics::HttpMetrics::for_current_unit();
    let router = router
        .merge(fallback)
        .layer(axum::middleware::from_fn(
            crate::error_pages::styled_too_large,
        ))
        .layer(axum::middleware::from_fn(crate::lang::remember_choice))
        // Outside the others: it sees the response as the client gets it.
        .layer(axum::middleware::from_fn_with_state(
            http_metrics,
            crate::metrics::record,
        ))
        .layer(RequestBodyTimeoutLayer::new(limits.body_timeout));
    let gate = Gate::new(&limits, fds::web_budget());
    let refusing = Arc::new(Semaphore::new(refuse::MAX_REFUSING));
    let tracker = TaskTracker::new();
    let force = CancellationToken::new();
    let mut warned: Option<Instant> = None;
    loop {
        let accepted = tokio::select! {
            _ = shutdown.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                tracing::warn!(error = %e, "web listener: accept failed; retrying");
                tokio::time::sleep(ACCEPT_BACKOFF).await;
                continue;
            }
        };
        match gate.admit(peer.ip()) {
            Ok(pass) => {
                let conn = Connection {
                    router: router.clone(),
                    peer,
                    limits,
                    _pass: pass,
                };
                tracker.spawn(conn.run(stream, shutdown.clone(), force.clone()));
            }
            Err(why) => {
                if warned.is_none_or(|at| at.elapsed() >= WARN_EVERY) {
                    warned = Some(Instant::now());
                    tracing::warn!(client = %peer, reason = ?why, ?limits, "web listener full: refusing connections");
                }
                refuse::refuse(stream, why, &refusing, &tracker);
            }
        }
    }
    drop(listener);
    tracker.close();
    if tokio::time::timeout(SHUTDOWN_GRACE, tracker.wait())
        .await
        .is_err()
    {
        force.cancel();
        tracker.wait().await;
    }
    Ok(())
}

/// One admitted connection and the slots it holds until it closes.
struct Connection {
    router: Router,
    peer: SocketAddr,
    limits: ServeLimits,
    _pass: Pass,
}

impl Connection {
    async fn run(self, stream: TcpStream, shutdown: CancellationToken, force: CancellationToken) {
        let _ = stream.set_nodelay(true);
        let Connection {
            router,
            peer,
            limits,
            _pass,
        } = self;
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            router.clone().oneshot(request)
        });
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(TokioTimer::new())
            .header_read_timeout(limits.header_timeout);
        let conn = http
            .serve_connection(TokioIo::new(stream), service)
            .with_upgrades();
        tokio::pin!(conn);
        tokio::select! {
            r = conn.as_mut() => return log_end(peer, r),
            _ = shutdown.cancelled() => conn.as_mut().graceful_shutdown(),
        }
        tokio::select! {
            r = conn => log_end(peer, r),
            _ = force.cancelled() => {}
        }
    }
}

fn log_end(peer: SocketAddr, result: Result<(), hyper::Error>) {
    if let Err(e) = result {
        tracing::debug!(client = %peer, error = %e, "web connection ended");
    }
}
