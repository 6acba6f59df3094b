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

/// A running metrics listener; [`MetricsListener::stop`] ends it.
#[derive(Debug)]
pub(crate) struct MetricsListener {
    url: String,
    stop: CancellationToken,
    task: JoinHandle<std::io::Result<()>>,
}

/// Installs the process's recorder when anything will read it — a web side's `/metrics`
/// (`has_web_side`) or the listener `setup` asks for — and opens that listener. Call it before
/// units run: their series are made when they start. A process nobody can scrape (a unit
/// without a web side or `--metrics-addr`) keeps no recorder and no upkeep thread. A taken
/// address is a start-up error naming the flag.
#[cfg(feature = "web")]
pub(crate) async fn start(
    setup: &Setup,
    has_web_side: bool,
) -> anyhow::Result<Option<MetricsListener>> {
    if has_web_side || setup.metrics_addr.is_some() {
        modt_web::metrics::install();
    }
    let Some(addr) = &setup.metrics_addr else {
        return Ok(None);
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
    Ok(Some(MetricsListener { url, stop, task }))
}

/// [`start`] in a build without the web stack (no unit with a web side, feature `web` off):
/// nothing can serve the series, so `--metrics-addr` is refused at start.
#[cfg(not(feature = "web"))]
pub(crate) async fn start(
    setup: &Setup,
    _has_web_side: bool,
) -> anyhow::Result<Option<MetricsListener>> {
    match &setup.metrics_addr {
        None => Ok(None),
        Some(addr) => anyhow::bail!(
            "--metrics-addr / MODT_METRICS_ADDR {addr:?}: this modt was built without the web \
             stack (cargo feature `web`), which serves the metrics"
        ),
    }
}

impl MetricsListener {
    /// Where Prometheus scrapes.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// Stops serving and waits for the listener to close.
    pub(crate) async fn stop(self) {
        self.stop.cancel();
        match self.task.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "the metrics listener failed"),
            Err(e) => tracing::warn!(error = %e, "the metrics listener's task failed"),
        }
    }
}
