//! `modt sub`: print messages matching topic filters.

use std::io::Write;

use anyhow::Context as _;
use modt::{Message, QoS, TopicFilter};
use tokio_util::sync::CancellationToken;

use super::connect;
use crate::cli::SubArgs;

pub(crate) async fn run(args: SubArgs, shutdown: CancellationToken) -> anyhow::Result<()> {
    let filters = args
        .filters
        .iter()
        .map(|f| TopicFilter::new(f.as_str()).with_context(|| format!("bad topic filter {f:?}")))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let client = connect(&args.client, "modt-sub").await?;
    let (inbox, mut rx) = client.inbox();
    super::subscribe_all(&client, &filters, QoS::AtLeastOnce, &inbox).await?;
    drop(inbox);
    let deadline = args.timeout.map(|t| tokio::time::Instant::now() + t);
    let mut seen = 0u64;
    let mut stdout = std::io::stdout();
    let outcome = loop {
        if args.count.is_some_and(|n| seen >= n) {
            break Ok(());
        }
        let next = tokio::select! {
            _ = shutdown.cancelled() => break Ok(()),
            _ = sleep_until(deadline) => break Err(anyhow::anyhow!("timed out after {seen} message(s)")),
            m = rx.recv() => m,
        };
        let Some(msg) = next else { break Ok(()) };
        seen += 1;
        let line = if args.jsonl { jsonl(&msg) } else { human(&msg) };
        if writeln!(stdout, "{line}")
            .and_then(|_| stdout.flush())
            .is_err()
        {
            break Ok(()); // stdout closed (e.g. piped into `head`)
        }
    };
    client.shutdown().await;
    outcome
}

async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

/// A payload as pretty JSON when it is JSON, else as text.
pub(crate) fn pretty(payload: &[u8]) -> String {
    match serde_json::from_slice::<serde_json::Value>(payload) {
        Ok(v) => serde_json::to_string_pretty(&v)
            .unwrap_or_else(|_| String::from_utf8_lossy(payload).into_owned()),
        Err(_) => String::from_utf8_lossy(payload).into_owned(),
    }
}

fn human(msg: &Message) -> String {
    let flags = if msg.retain {
        format!("qos {} retained", msg.qos.level())
    } else {
        format!("qos {}", msg.qos.level())
    };
    format!(
        "{}  ({flags}, {} bytes)\n{}",
        msg.topic,
        msg.payload.len(),
        pretty(&msg.payload)
    )
}

fn jsonl(msg: &Message) -> String {
    let payload = serde_json::from_slice::<serde_json::Value>(&msg.payload).unwrap_or_else(|_| {
        serde_json::Value::String(String::from_utf8_lossy(&msg.payload).into_owned())
    });
    serde_json::json!({
        "topic": msg.topic,
        "qos": msg.qos.level(),
        "retain": msg.retain,
        "payload": payload,
    })
    .to_string()
}
