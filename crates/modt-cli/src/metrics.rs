//! The metrics listener of `modt up` and `modt unit` (`--metrics-addr`): the process's
//! Prometheus series at `http://ADDR/metrics`, for units without a web side
//! (docs/operations.md, "Metrics and traces").
//!
//! Not here: the recorder and the exposition (modt_web::metrics), the units' series (the SDK).

#[cfg(feature = "web")]
use anyhow::Context as _;
use modt::unit::Setup;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// The process's metrics upkeep and listener, owned by `modt up` / `modt unit` and ended by
/// [`Metrics::stop`] at shutdown.
#[derive(Debug, Default)]
pub(crate) struct Metrics {
    listener: Option<Listener>,
    /// Folds histogram samples while nobody scrapes; stopped (joined) with the rest.
    #[cfg(feature = "web")]
    upkeep: Option<modt_web::metrics::Upkeep>,
}

/// The `--metrics-addr` listener.
#[derive(Debug)]
struct Listener {
    url: String,
    stop: CancellationToken,
    task: JoinHandle<std::io::Result<()>>,
}

/// Installs the process's recorder when anything will read it — a web side's `/metrics`
/// (`has_web_side`) or the listener `setup` asks for — with its upkeep thread, and opens that
/// listener. Call it before units run: their series are made when they start. A process
/// nobody can scrape (a unit without a web side or `--metrics-addr`) keeps no recorder and no
/// upkeep thread. A taken address is a start-up error naming the flag.
#[cfg(feature = "web")]
pub(crate) async fn start(setup: &Setup, has_web_side: bool) -> anyhow::Result<Metrics> {
    if !has_web_side && setup.metrics_addr.is_none() {
        return Ok(Metrics::default());
    }
    let mut metrics = Metrics {
        listener: None,
        upkeep: modt_web::metrics::Upkeep::start(),
    };
    let Some(addr) = &setup.metrics_addr else {
        return Ok(metrics);
    };
    let listener = modt_web::serve::bind(addr)
        .await
        .with_context(|| format!("--metrics-addr / MODT_METRICS_ADDR {addr:?}"))?;
    let url = format!(
        "{}{}",
        modt_web::serve::public_url(&listener, None),
        modt_web::metrics::METRICS_PATH
    );
    let stop = CancellationToken::new();
    let task = tokio::spawn(modt_web::metrics::serve_listener(listener, stop.clone()));
    metrics.listener = Some(Listener { url, stop, task });
    Ok(metrics)
}

/// [`start`] in a build without the web stack (no unit with a web side, feature `web` off):
/// nothing can serve the series, so `--metrics-addr` is refused at start.
#[cfg(not(feature = "web"))]
pub(crate) async fn start(setup: &Setup, _has_web_side: bool) -> anyhow::Result<Metrics> {
    match &setup.metrics_addr {
        None => Ok(Metrics::default()),
        Some(addr) => anyhow::bail!(
            "--metrics-addr / MODT_METRICS_ADDR {addr:?}: this modt was built without the web \
             stack (cargo feature `web`), which serves the metrics"
        ),
    }
}

impl Metrics {
    /// Where Prometheus scrapes, when a metrics listener was asked for.
    pub(crate) fn url(&self) -> Option<&str> {
        self.listener.as_ref().map(|l| l.url.as_str())
    }

    /// Stops serving, waits for the listener to close, then ends and joins the upkeep thread
    /// (off the runtime: it may be in the middle of a run).
    pub(crate) async fn stop(self) {
        if let Some(l) = self.listener {
            l.stop.cancel();
            match l.task.await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "the metrics listener failed"),
                Err(e) => tracing::warn!(error = %e, "the metrics listener's task failed"),
            }
        }
        #[cfg(feature = "web")]
        if let Some(upkeep) = self.upkeep {
            if let Err(e) = tokio::task::spawn_blocking(move || upkeep.stop()).await {
                tracing::warn!(error = %e, "the metrics upkeep did not stop cleanly");
            }
        }
    }

    /// Whether an upkeep thread runs (a recorder was installed for someone to read).
    #[cfg(all(test, feature = "web"))]
    fn has_upkeep(&self) -> bool {
        self.upkeep.is_some()
    }
}

#[cfg(all(test, feature = "web"))]
mod tests {
    use super::*;

    #[tokio::test]
    async fn upkeep_runs_only_when_someone_can_scrape_and_stops_with_the_listener() {
        let mut setup = Setup::new("unused-by-metrics");
        let unread = start(&setup, false).await.unwrap();
        assert!(!unread.has_upkeep() && unread.url().is_none());
        unread.stop().await;

        setup.metrics_addr = Some("127.0.0.1:0".into());
        let metrics = start(&setup, false).await.unwrap();
        assert!(
            metrics.has_upkeep(),
            "a listener's recorder gets its upkeep"
        );
        let url = metrics.url().unwrap().to_string();
        metrics.stop().await;
        let refused = tokio::net::TcpStream::connect(url_addr(&url)).await;
        assert!(refused.is_err(), "the listener is closed after stop");
    }

    fn url_addr(url: &str) -> String {
        let rest = url.trim_start_matches("http://");
        rest.split('/').next().unwrap_or(rest).to_string()
    }
}
