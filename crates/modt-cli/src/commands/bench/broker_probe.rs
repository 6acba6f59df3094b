//! What a benchmark says about the broker it measured: which broker it is (`$SYS/broker/version`,
//! when the broker publishes it and the account may read it), whether the broker holds small
//! packets behind Nagle's algorithm (measured), and what a Mosquitto config file the user names
//! sets (`--broker-config`). Figures mean little without these, since an untuned Mosquitto
//! adds a delayed ACK (~40 ms) to every round trip of a client that does not acknowledge at once.

use std::path::Path;
use std::time::Duration;

use crate::cli::ClientArgs;
use anyhow::Context as _;
use modt::{QoS, TopicFilter};

use super::stats::ms;

/// A median this slow for the probe's relay means the broker waited for a delayed ACK.
const NAGLE_SUSPECT: Duration = Duration::from_millis(20);
/// Round trips of the Nagle probe (after 5 unmeasured ones).
const PROBE_ROUNDS: usize = 15;

/// Prints what is known about the broker behind `broker`.
pub(super) async fn report(
    broker: &ClientArgs,
    embedded: bool,
    config: Option<&Path>,
) -> anyhow::Result<()> {
    let name = if embedded {
        "the embedded broker (rmqtt), TCP_NODELAY on".to_owned()
    } else {
        version(broker).await?
    };
    println!("broker: {name}");
    println!("broker Nagle probe: {}", nagle_probe(broker).await?);
    if let Some(path) = config {
        println!("broker config ({}): {}", path.display(), told(path)?);
    }
    Ok(())
}

/// The broker's own word on what it is, from the retained `$SYS/broker/version`.
async fn version(broker: &ClientArgs) -> anyhow::Result<String> {
    let client = crate::commands::connect(broker, "modt-bench-probe").await?;
    let filter = TopicFilter::new("$SYS/broker/version")?;
    let answer = match client.subscribe(&filter, QoS::AtMostOnce).await {
        Ok(mut sub) => tokio::time::timeout(Duration::from_millis(500), sub.recv())
            .await
            .ok()
            .flatten()
            .map(|m| format!("{} ($SYS/broker/version)", m.text())),
        Err(_) => None,
    };
    client.shutdown().await;
    Ok(answer.unwrap_or_else(|| "unknown (no $SYS/broker/version readable)".into()))
}

/// Times bare relays (two trips) from a requester that acknowledges the usual (delayed) way.
/// When the broker runs Nagle, the answer waits behind the PUBACK of the request for that
/// delayed ACK. (A one-trip echo does not show it: the PUBACK and the delivery leave the
/// broker together.)
async fn nagle_probe(broker: &ClientArgs) -> anyhow::Result<String> {
    let client = super::delayed_ack_client(broker, "modt-bench-nagle").await?;
    let mut relay = super::BareRelay::start(&client, broker).await?;
    let mut times = Vec::with_capacity(PROBE_ROUNDS);
    for i in 0..PROBE_ROUNDS + 5 {
        let t = relay.round_trip(&client, vec![b'0'; 16]).await?;
        if i >= 5 {
            times.push(t);
        }
    }
    relay.stop().await?;
    client.shutdown().await;
    times.sort_unstable();
    let median = times[times.len() / 2];
    Ok(if median >= NAGLE_SUSPECT {
        format!(
            "Nagle ON: a requester without quick ACKs waits {} p50 for a QoS 1 relay \
             (Mosquitto: set_tcp_nodelay false, its default); MoDT clients acknowledge at once",
            ms(median)
        )
    } else {
        format!(
            "Nagle off: {} p50 for a QoS 1 relay from a requester without quick ACKs",
            ms(median)
        )
    })
}

/// The settings of a Mosquitto config file that bear on these figures, with Mosquitto's
/// defaults for those it leaves out.
fn told(path: &Path) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the broker config {}", path.display()))?;
    let setting = |name: &str, default: &str| -> String {
        let value = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.strip_prefix(name))
            .filter(|rest| rest.starts_with(char::is_whitespace))
            .map(|rest| rest.trim().to_owned())
            .next_back();
        match value {
            Some(v) => format!("{name} {v}"),
            None => format!("{name} {default} (default)"),
        }
    };
    Ok([
        setting("set_tcp_nodelay", "false"),
        setting("max_queued_messages", "1000"),
        setting("max_inflight_messages", "20"),
    ]
    .join(", "))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn told_reads_set_values_and_names_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mosquitto.conf");
        std::fs::write(
            &path,
            "listener 1883\n# set_tcp_nodelay true\nmax_queued_messages 5000\nallow_anonymous true\n",
        )
        .unwrap();
        assert_eq!(
            told(&path).unwrap(),
            "set_tcp_nodelay false (default), max_queued_messages 5000, \
             max_inflight_messages 20 (default)"
        );
        assert!(told(&dir.path().join("missing.conf")).is_err());
    }
}
