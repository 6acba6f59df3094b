//! Prometheus metrics for a whole process: the one recorder ([`install`]), its text exposition
//! at `GET /metrics` ([`render`], which every listener [`serve`](crate::serve) opens gets),
//! per-route HTTP series ([`record`], a layer on every such listener), a listener that
//! serves only `/metrics` ([`serve_listener`], for `--metrics-addr`), and the thread that folds
//! histogram samples while nobody scrapes ([`Upkeep`], owned and stopped by the program).
//!
//! One recorder per process: `modt up` runs every unit in one, so each series carries a `unit`
//! label, and every `/metrics` of the process shows the same series. The units' own series
//! (handled, errors, in flight, broker connection, handling time) are recorded by the SDK
//! (`modt::unit::metrics`); the HTTP ones here:
//!
//! | name | type | labels |
//! |---|---|---|
//! | `modt_http_requests_total` | counter | `unit`, `method`, `route`, `status` |
//! | `modt_http_request_duration_seconds` | histogram | `unit`, `method`, `route`, `status` |
//!
//! `route` is the route's pattern as the router matched it (`/todos/{id}`), never the path a
//! client sent, and `unmatched` for addresses no route serves: the number of series is bounded
//! by the routes, whatever clients ask for. `status` is the class (`2xx` … `5xx`).
//!
//! Not here: which units' counters exist (the SDK), where the metrics listener's address comes
//! from (`Setup::metrics_addr`, the program's flags).

use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use metrics::Label;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// Where every listener serves the exposition.
pub const METRICS_PATH: &str = "/metrics";
/// HTTP requests answered.
pub const HTTP_REQUESTS_TOTAL: &str = "modt_http_requests_total";
/// Time to answer an HTTP request (until the response's head).
pub const HTTP_REQUEST_DURATION_SECONDS: &str = "modt_http_request_duration_seconds";
/// The `route` of requests no route matched.
pub const UNMATCHED_ROUTE: &str = "unmatched";
/// The content type of the text exposition format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";
/// Upper bounds of every `*_seconds` histogram's buckets: from half a millisecond (a unit's
/// handler) to ten seconds (a request's timeout).
pub const SECONDS_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// How often histogram samples are folded into their buckets when nobody scrapes (a scrape
/// folds them too); between times they are held in memory.
pub const UPKEEP_EVERY: Duration = Duration::from_secs(5);

static RECORDER: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process's Prometheus recorder, once; later calls return the same handle.
/// `None` when another recorder was installed first (then `/metrics` answers 503).
///
/// Call it before running units: series a unit resolves before any recorder is installed
/// record nothing. `modt up` and `modt unit` do; serving a web side does too, for programs
/// that forgot.
///
/// The recorder keeps histogram samples until they are folded into buckets, at each scrape or
/// by an [`Upkeep`] thread, which the program that serves the metrics owns and stops.
pub fn install() -> Option<&'static PrometheusHandle> {
    RECORDER
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS_BUCKETS);
            let installed = builder.and_then(PrometheusBuilder::install_recorder);
            match installed {
                Ok(handle) => {
                    describe();
                    Some(handle)
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot install the Prometheus recorder; /metrics will answer 503");
                    None
                }
            }
        })
        .as_ref()
}

/// The text exposition of every series of the process, at `GET /metrics`.
pub async fn render() -> Response {
    match install() {
        Some(handle) => ([(header::CONTENT_TYPE, CONTENT_TYPE)], handle.render()).into_response(),
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            "this process records metrics elsewhere\n",
        )
            .into_response(),
    }
}

/// A router that serves only [`METRICS_PATH`].
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new().route(METRICS_PATH, get(render))
}

/// Serves `/metrics` alone on `listener` until `shutdown` fires (the metrics listener of units
/// without a web side: `--metrics-addr`).
pub async fn serve_listener(
    listener: TcpListener,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    install();
    crate::serve::serve(listener, Router::new(), shutdown).await
}

/// The labels of one listener's HTTP series: which unit it belongs to.
#[derive(Debug, Clone, Default)]
pub struct HttpMetrics {
    unit: Option<Arc<str>>,
}

impl HttpMetrics {
    /// Series labelled with the unit whose service runs the listener
    /// ([`modt::unit::UnitScope`]), if any.
    pub fn for_current_unit() -> Self {
        HttpMetrics {
            unit: modt::unit::UnitScope::current().map(|s| Arc::from(s.unit_id())),
        }
    }
}

/// Middleware (`axum::middleware::from_fn_with_state`, added with `Router::layer`, where the
/// matched route is known): counts the request and records how long it took.
pub async fn record(State(labels): State<HttpMetrics>, request: Request, next: Next) -> Response {
    let began = Instant::now();
    let route = match request.extensions().get::<MatchedPath>() {
        Some(path) => path.as_str().to_owned(),
        None => UNMATCHED_ROUTE.to_owned(),
    };
    let method = method_label(request.method());
    let response = next.run(request).await;
    let status = status_class(response.status());
    let mut tags = vec![
        Label::new("method", method),
        Label::new("route", route),
        Label::new("status", status),
    ];
    if let Some(unit) = &labels.unit {
        tags.push(Label::new(
            modt::unit::metrics::UNIT_LABEL,
            unit.to_string(),
        ));
    }
    metrics::counter!(HTTP_REQUESTS_TOTAL, tags.clone()).increment(1);
    metrics::histogram!(HTTP_REQUEST_DURATION_SECONDS, tags).record(began.elapsed().as_secs_f64());
    response
}

/// The method as a label: the standard ones by name, anything else `other` (a client cannot
/// make up series).
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

fn status_class(status: StatusCode) -> &'static str {
    match status.as_u16() {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

fn describe() {
    metrics::describe_counter!(HTTP_REQUESTS_TOTAL, "HTTP requests answered, per route.");
    metrics::describe_histogram!(
        HTTP_REQUEST_DURATION_SECONDS,
        metrics::Unit::Seconds,
        "Time to answer an HTTP request (until the response head), per route."
    );
}

/// The thread that folds histogram samples into buckets every [`UPKEEP_EVERY`] while nobody
/// scrapes (so they do not pile up in memory). Its owner is the program that serves the
/// metrics: [`Upkeep::stop`] (or dropping it) ends the thread and joins it.
#[derive(Debug)]
pub struct Upkeep {
    /// Dropping it wakes the thread, which then ends.
    stop: Option<mpsc::SyncSender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Upkeep {
    /// Runs upkeep on the process's recorder ([`install`]) every [`UPKEEP_EVERY`]; `None`
    /// when there is no recorder or no thread could be started (histograms are then folded at
    /// each scrape only).
    pub fn start() -> Option<Upkeep> {
        let handle = install()?.clone();
        Upkeep::every(UPKEEP_EVERY, move || handle.run_upkeep())
            .inspect_err(|e| tracing::warn!(error = %e, "cannot start the metrics upkeep thread; histograms are folded at each scrape only"))
            .ok()
    }

    /// Calls `work` every `period` on a thread of its own until stopped.
    pub fn every(period: Duration, work: impl Fn() + Send + 'static) -> std::io::Result<Upkeep> {
        let (stop, stopped) = mpsc::sync_channel::<()>(0);
        let thread = std::thread::Builder::new()
            .name("modt-metrics-upkeep".into())
            .spawn(move || {
                // Nothing is ever sent: the wait ends early only when the owner is dropped.
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(period) {
                    work();
                }
            })?;
        Ok(Upkeep {
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// Ends the thread and waits for it (at most the end of a run of upkeep in progress).
    pub fn stop(mut self) {
        self.end();
    }

    fn end(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            if thread.join().is_err() {
                tracing::warn!("the metrics upkeep thread panicked");
            }
        }
    }
}

impl Drop for Upkeep {
    fn drop(&mut self) {
        self.end();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_bounded() {
        assert_eq!(method_label(&Method::GET), "GET");
        let odd = Method::from_bytes(b"BREW").unwrap();
        assert_eq!(method_label(&odd), "other");
        assert_eq!(status_class(StatusCode::OK), "2xx");
        assert_eq!(status_class(StatusCode::NOT_MODIFIED), "3xx");
        assert_eq!(status_class(StatusCode::PRECONDITION_FAILED), "4xx");
        assert_eq!(status_class(StatusCode::BAD_GATEWAY), "5xx");
        assert_eq!(status_class(StatusCode::SWITCHING_PROTOCOLS), "1xx");
    }

    /// Whether `done` is sent within a generous bound (a hang fails instead of blocking).
    fn ends(done: &mpsc::Receiver<()>) -> bool {
        done.recv_timeout(Duration::from_secs(30)).is_ok()
    }

    #[test]
    fn upkeep_runs_until_stopped_and_stop_joins_the_thread() {
        let (ran, runs) = mpsc::sync_channel(1);
        let upkeep = Upkeep::every(Duration::from_millis(1), move || {
            let _ = ran.try_send(());
        })
        .unwrap();
        assert!(ends(&runs), "upkeep runs");
        upkeep.stop();
        // Joined: the closure (and its sender) are gone, so nothing more can arrive.
        while runs.try_recv().is_ok() {}
        assert_eq!(runs.try_recv(), Err(mpsc::TryRecvError::Disconnected));
    }

    #[test]
    fn a_waiting_upkeep_stops_at_once_when_dropped() {
        // A period far longer than the test: only the owner's drop can end the wait.
        let upkeep = Upkeep::every(Duration::from_secs(3600), || {}).unwrap();
        let (done, stopped) = mpsc::sync_channel(1);
        std::thread::spawn(move || {
            drop(upkeep);
            let _ = done.send(());
        });
        assert!(ends(&stopped), "dropping the upkeep ends its thread");
    }
}
