//! `modt bench rtt`: request/reply round trips to the echo unit beside a bare broker echo and a
//! bare relay.
//!
//! Each iteration does one of each, back to back, so all see the same machine and broker
//! state. The bare echo is a client publishing (QoS 1) to a topic it subscribes to: one trip
//! through the broker. The bare relay is a plain second client that publishes each message
//! straight back: two trips, like any request/reply, with no unit behind it. The ratio to the
//! relay is what the unit and the SDK add. Before the figures it says which broker it measured
//! and whether that broker runs Nagle's algorithm (`broker_probe`).

use std::time::{Duration, Instant};

use anyhow::Context as _;
use modt::protocol::topics;
use modt::Client;
use tokio_util::sync::CancellationToken;

use super::stats::{ratio_row, row, stats_row, Stats};
use crate::cli::RttArgs;

pub(crate) async fn rtt(mut args: RttArgs) -> anyhow::Result<()> {
    let broker = super::embedded_broker(args.embedded, &mut args.client.broker)?;
    let echo_stop = CancellationToken::new();
    let echo = if args.external_echo {
        None
    } else {
        let mut cfg = args.client.broker.client_config("unused")?;
        cfg.tcp_quickack = !args.no_quickack;
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
    super::broker_probe::report(&args.client, args.embedded, args.broker_config.as_deref()).await?;
    let client = match args.no_quickack {
        true => super::delayed_ack_client(&args.client, "modt-bench").await?,
        false => crate::commands::connect(&args.client, "modt-bench").await?,
    };
    wait_for_echo(&client).await?;
    let mut bare_echo = super::BareEcho::new(&client).await?;
    let mut bare_relay = super::BareRelay::start(&client, &args.client).await?;
    let filler = "x".repeat(args.size);
    let (mut bare, mut relay, mut rr) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..(args.warmup + args.count) {
        let payload = serde_json::json!({ "seq": i, "filler": filler });
        let bytes = serde_json::to_vec(&payload)?;

        let bare_t = bare_echo.round_trip(&client, bytes.clone()).await?;
        let relay_t = bare_relay.round_trip(&client, bytes).await?;

        let t = Instant::now();
        let reply = client
            .request(
                &topics::ECHO,
                &payload,
                modt::RequestOptions::new().timeout(Duration::from_secs(5)),
            )
            .await?;
        let rr_t = t.elapsed();
        modt::check_error_reply(&topics::ECHO, &reply)?;

        if i >= args.warmup {
            bare.push(bare_t);
            relay.push(relay_t);
            rr.push(rr_t);
        }
    }
    bare_relay.stop().await?;
    client.shutdown().await;
    print_figures(args, &mut bare, &mut relay, &mut rr);
    Ok(())
}

fn print_figures(
    args: &RttArgs,
    bare: &mut [Duration],
    relay: &mut [Duration],
    rr: &mut [Duration],
) {
    let (b, l, r) = (Stats::of(bare), Stats::of(relay), Stats::of(rr));
    println!(
        "broker {}  MQTT {:?}  QoS 1  payload ~{} B  n = {} (+{} warm-up){}",
        super::broker_label(&args.client.broker),
        args.client.broker.mqtt_version,
        args.size + 24,
        args.count,
        args.warmup,
        if args.no_quickack {
            "  requester and unit without quick ACKs"
        } else {
            ""
        }
    );
    row("", ["p50".into(), "p99".into(), "max".into()]);
    stats_row("bare broker echo (1 trip)", &b);
    stats_row("bare relay (2 trips)", &l);
    stats_row("request/reply via echo unit", &r);
    ratio_row("ratio (unit / bare relay)", &r, &l);
    ratio_row("ratio (unit / bare echo)", &r, &b);
}

/// Waits until the echo unit answers (it may still be subscribing).
async fn wait_for_echo(client: &Client) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match client
            .request(
                &topics::ECHO,
                &serde_json::json!({"ping": true}),
                modt::RequestOptions::new().timeout(Duration::from_millis(500)),
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
