//! Logging setup: `tracing` to stderr, text or JSON; rmqtt's `log` records are bridged in.

use tracing_subscriber::EnvFilter;

use crate::cli::LogFormat;

/// Installs the global subscriber. `filter` uses `RUST_LOG` syntax; the broker's own chatter
/// is kept at `warn` unless the filter names it.
pub(crate) fn init(format: LogFormat, filter: &str) -> anyhow::Result<()> {
    let mut directives = filter.to_owned();
    if !filter.contains("rmqtt") {
        directives.push_str(
            ",rmqtt=warn,rmqtt_net=warn,rmqtt_retainer=warn,rmqtt_shared_subscription=warn",
        );
    }
    if !filter.contains("rumqttc") {
        directives.push_str(",rumqttc=warn");
    }
    let env_filter = EnvFilter::try_new(&directives)
        .map_err(|e| anyhow::anyhow!("invalid --log / MODT_LOG filter {filter:?}: {e}"))?;
    // Colours only for a person at a terminal (and not when NO_COLOR is set): a log file or a
    // container's log collector gets plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr())
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(env_filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr);
    let result = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
    };
    result.map_err(|e| anyhow::anyhow!("cannot install the logger: {e}"))?;
    tracing_log::LogTracer::init().ok();
    Ok(())
}
