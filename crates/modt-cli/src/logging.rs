//! Logging setup: `tracing` to stderr, text or JSON; rmqtt's `log` records are bridged in.

use tracing_subscriber::EnvFilter;

use crate::cli::LogFormat;

/// Installs the global subscriber. `filter` uses `RUST_LOG` syntax; see [`directives`].
pub(crate) fn init(format: LogFormat, filter: &str) -> anyhow::Result<()> {
    let directives = directives(filter);
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

/// `filter` with the libraries' own chatter kept at `warn` unless it names them: the broker,
/// the MQTT client, and the migration runner (modt_store logs one line per database for it,
/// so a first `modt up` shows its banner without a screenful of migration steps above it).
fn directives(filter: &str) -> String {
    let mut directives = filter.to_owned();
    if !filter.contains("rmqtt") {
        directives.push_str(
            ",rmqtt=warn,rmqtt_net=warn,rmqtt_retainer=warn,rmqtt_shared_subscription=warn",
        );
    }
    if !filter.contains("rumqttc") {
        directives.push_str(",rumqttc=warn");
    }
    if !filter.contains("refinery") {
        directives.push_str(",refinery_core=warn");
    }
    directives
}

#[cfg(test)]
mod tests {
    use super::directives;

    #[test]
    fn libraries_stay_quiet_unless_the_filter_names_them() {
        let quiet = directives("info");
        for target in ["rmqtt=warn", "rumqttc=warn", "refinery_core=warn"] {
            assert!(quiet.contains(target), "{quiet}");
        }
        let named = directives("info,refinery_core=debug");
        assert!(!named.contains("refinery_core=warn"), "{named}");
        assert!(named.contains("rmqtt=warn"), "{named}");
    }
}
