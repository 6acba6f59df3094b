//! `modt bench rtt`: request/reply round trips to the echo unit beside a bare broker echo.
//!
//! Each iteration does one of each, back to back, so both see the same machine and broker
//! state. The bare echo is a client publishing (QoS 1) to a topic it subscribes to: the
//! floor any request/reply over that broker can reach.

use std::time::{Duration, Instant};

use anyhow::Context as _;
use modt::protocol::topics;
use modt::Client;
use tokio_util::sync::CancellationToken;

use super::stats::{ratio_row, row, stats_row, Stats};
use crate::cli::RttArgs;

pub(crate) async fn rtt(mut args: RttArgs) -> anyhow::Result<()> {
    let broker = super::embedded_broker(args.embedded, &mut args.broker)?;
    let echo_stop = CancellationToken::new();
    let echo = if args.external_echo {
        None
    } else {
        let cfg = args.broker.client_config("unused")?;
        let unit = modt_echo::unit().unit_id(format!("echo-bench-{}", super::run_id()));
        let token = echo_stop.clone();
        Some(tokio::spawn(async move { unit.run(cfg, token).await }))
    };
    let result = measure(&args).await;
    echo_stop.cancel();
    if let Some(e) = echo {
        e.await.context("echo unit task")??;
    }
    super::stop_broker(broker).await?;
    result
}

async fn measure(args: &RttArgs) -> anyhow::Result<()> {
    let client = crate::commands::connect(&args.broker, "modt-bench").await?;
    wait_for_echo(&client).await?;
    let mut bare_echo = super::BareEcho::new(&client).await?;
    let filler = "x".repeat(args.size);
    let mut bare = Vec::with_capacity(args.count);
    let mut rr = Vec::with_capacity(args.count);
    for i in 0..(args.warmup + args.count) {
        let payload = serde_json::json!({ "seq": i, "filler": filler });
        let bytes = serde_json::to_vec(&payload)?;

        let bare_t = bare_echo.round_trip(&client, bytes).await?;

        let t = Instant::now();
        let reply = client
            .request(&topics::ECHO, &payload, Some(Duration::from_secs(5)))
            .await?;
        let rr_t = t.elapsed();
        modt::check_error_reply(&topics::ECHO, &reply)?;

        if i >= args.warmup {
            bare.push(bare_t);
            rr.push(rr_t);
        }
    }
    client.shutdown().await;

    let b = Stats::of(&mut bare);
    let r = Stats::of(&mut rr);
    println!(
        "broker {}:{}  MQTT {:?}  QoS 1  payload ~{} B  n = {} (+{} warm-up)",
        args.broker.host,
        args.broker.port,
        args.broker.mqtt_version,
        args.size + 24,
        args.count,
        args.warmup
    );
    row("", ["p50".into(), "p99".into(), "max".into()]);
    stats_row("bare broker echo", &b);
    stats_row("request/reply via echo unit", &r);
    ratio_row("ratio (unit / bare)", &r, &b);
    Ok(())
}

/// Waits until the echo unit answers (it may still be subscribing).
async fn wait_for_echo(client: &Client) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match client
            .request(
                &topics::ECHO,
                &serde_json::json!({"ping": true}),
                Some(Duration::from_millis(500)),
            )
            .await
        {
            Ok(_) => return Ok(()),
            Err(e) if Instant::now() > deadline => {
                return Err(
                    anyhow::Error::new(e).context("the echo unit did not answer within 10 s")
                )
            }
            Err(_) => {}
        }
    }
}
