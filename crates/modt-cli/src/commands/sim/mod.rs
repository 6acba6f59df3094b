//! `modt sim devices`: publishes realistic device messages (docs/ingest.md) to any broker,
//! as the devices of a plant would: gateway status and datalogger readings on
//! `{site}/gateway/{n}/…`, at a steady rate, with a chosen share of broken messages of every
//! kind, reproducible from a seed. It prints what it sent, per kind.
//!
//! - [`fleet`]: the devices and how their values drift.
//! - [`message`]: the device messages as structs.
//! - [`generator`]: the order of a run's messages, valid or broken.
//! - [`broken`]: the broken messages, one way per [`kind::Kind`].
//! - [`kind`]: message kinds and counts.
//! - [`pace`]: the steady rate.
//! - [`probe`]: the check that the broker takes the run's messages at all.
//! - [`report`]: what a run prints.
//! - [`demo`]: the gentle run of `modt up --demo-devices` against the embedded broker.
//!
//! `modt bench ingest` drives its load with the [`generator`].

pub(crate) mod broken;
pub(crate) mod demo;
pub(crate) mod fleet;
pub(crate) mod generator;
pub(crate) mod kind;
pub(crate) mod message;
pub(crate) mod pace;
pub(crate) mod probe;
pub(crate) mod report;

use std::time::Duration;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use modt::{Client, Outgoing, QoS};
use tokio_util::sync::CancellationToken;

use crate::cli::ClientArgs;
use fleet::Shape;
use generator::{Generator, Plan};
use kind::Counts;
use pace::Pacer;

/// Most sites, gateways per site, and dataloggers per gateway.
pub(crate) const MAX_SITES: usize = 1000;
/// Most gateways per site.
pub(crate) const MAX_GATEWAYS: usize = 1000;
/// Most dataloggers per gateway.
pub(crate) const MAX_DATALOGGERS: usize = 1000;
/// Most dataloggers in all (the fleet lives in memory).
pub(crate) const MAX_FLEET: usize = 1_000_000;
/// The default size of a too-large payload: past the ingest unit's parser limit
/// (`modt_ingest::parse::MAX_PAYLOAD_BYTES`, 64 KiB).
pub(crate) const DEFAULT_OVERSIZE: usize = 80 * 1024;
/// The largest too-large payload (the MQTT client refuses packets over 1 MiB).
pub(crate) const MAX_OVERSIZE: usize = 768 * 1024;

/// `modt sim …`.
#[derive(Debug, Subcommand)]
pub(crate) enum SimCmd {
    /// Publish simulated device messages (docs/ingest.md) to a broker: gateway status and
    /// datalogger readings on {site}/gateway/{n}/…, with a share of broken ones.
    Devices(DevicesArgs),
}

/// `modt sim devices`.
#[derive(Debug, Args)]
pub(crate) struct DevicesArgs {
    #[command(flatten)]
    pub(crate) client: ClientArgs,
    /// Sites.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=MAX_SITES as i64))]
    pub(crate) sites: u32,
    /// Gateways per site.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=MAX_GATEWAYS as i64))]
    pub(crate) gateways: u32,
    /// Dataloggers per gateway.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(0..=MAX_DATALOGGERS as i64))]
    pub(crate) dataloggers: u32,
    /// Messages a second, paced evenly; 0 sends as fast as the broker takes them.
    #[arg(long, default_value_t = 10.0)]
    pub(crate) rate: f64,
    /// Stop after this many messages.
    #[arg(long, short = 'n')]
    pub(crate) count: Option<u64>,
    /// Stop after this long (e.g. `30s`). Without it or --count: until Ctrl-C.
    #[arg(long, value_parser = humantime::parse_duration)]
    pub(crate) duration: Option<Duration>,
    /// QoS of the messages (0 or 1).
    #[arg(long, short, default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=1))]
    pub(crate) qos: u8,
    /// The share of messages sent broken (0…1), taking turns through every kind: not JSON,
    /// schema violations, unusable mapped fields, bad topic levels, oversize.
    #[arg(long, default_value_t = 0.0)]
    pub(crate) malformed: f64,
    /// Seed of the random values: the same seed sends the same devices and values in the
    /// same order (the timestamps are the clock's). Default: a random one, printed.
    #[arg(long)]
    pub(crate) seed: Option<u64>,
    /// A gateway sends its status every this many rounds through the dataloggers.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) status_every: u64,
    /// Size of the oversize messages, bytes.
    #[arg(long, default_value_t = DEFAULT_OVERSIZE)]
    pub(crate) oversize_bytes: usize,
    /// How long a simulated day lasts (the temperature's daily curve), e.g. `10m` to watch
    /// it move; default a real day, by the clock.
    #[arg(long, default_value = "24h", value_parser = humantime::parse_duration)]
    pub(crate) day_length: Duration,
    /// Print the counts as one JSON object.
    #[arg(long)]
    pub(crate) json: bool,
    /// Do not check that the broker passes the first message on (it is sent at QoS 1 while
    /// subscribed to its topic; an account that may publish but not read needs this).
    #[arg(long)]
    pub(crate) no_delivery_check: bool,
}

impl DevicesArgs {
    /// The run's plan, or what is wrong with the flags.
    fn plan(&self) -> anyhow::Result<Plan> {
        let shape = Shape {
            sites: self.sites as usize,
            gateways: self.gateways as usize,
            dataloggers: self.dataloggers as usize,
        };
        check(&shape, self.rate, self.malformed, self.oversize_bytes)?;
        if self.day_length.is_zero() {
            anyhow::bail!("--day-length must be longer than zero");
        }
        Ok(Plan {
            shape,
            malformed: self.malformed,
            status_every: self.status_every,
            oversize: self.oversize_bytes,
            day: self.day_length,
            mark: false,
        })
    }
}

/// The limits on a run's settings.
pub(crate) fn check(
    shape: &Shape,
    rate: f64,
    malformed: f64,
    oversize: usize,
) -> anyhow::Result<()> {
    if shape.total_dataloggers() > MAX_FLEET {
        anyhow::bail!(
            "{} dataloggers in all: at most {MAX_FLEET}",
            shape.total_dataloggers()
        );
    }
    if !rate.is_finite() || rate < 0.0 {
        anyhow::bail!("--rate must be 0 (unpaced) or a positive number of messages a second");
    }
    if !(0.0..=1.0).contains(&malformed) {
        anyhow::bail!("--malformed is a share between 0 and 1, not {malformed}");
    }
    if oversize > MAX_OVERSIZE {
        anyhow::bail!(
            "--oversize-bytes is at most {MAX_OVERSIZE} (the MQTT client's packet limit is 1 MiB)"
        );
    }
    Ok(())
}

/// When a run ends.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Stop {
    /// After this many messages.
    pub(crate) count: Option<u64>,
    /// After this long.
    pub(crate) duration: Option<Duration>,
}

/// `modt sim devices`.
pub(crate) async fn devices(args: DevicesArgs, shutdown: CancellationToken) -> anyhow::Result<()> {
    let plan = args.plan()?;
    let qos = QoS::from_level(args.qos).context("--qos is 0 or 1")?;
    let seed = args.seed.unwrap_or_else(|| fastrand::u64(..));
    // The `cli` account may not publish device messages (the broker would drop them unseen):
    // against a `modt up` data directory, log in as the `devices` account made for this.
    let account =
        if crate::credentials::password_path(&args.client.data_dir, demo::ACCOUNT).exists() {
            demo::ACCOUNT
        } else {
            crate::credentials::CLI_ACCOUNT
        };
    let client = super::connect_as(&args.client, account, "modt-sim").await?;
    eprintln!(
        "modt sim devices: {} sites × {} gateways × {} dataloggers to {}:{}, {}, seed {seed} (Ctrl-C stops)",
        args.sites,
        args.gateways,
        args.dataloggers,
        args.client.broker.host,
        args.client.broker.port,
        report::rate_words(args.rate),
    );
    let stop = Stop {
        count: args.count,
        duration: args.duration,
    };
    let mut generator = Generator::new(plan, seed, chrono::Utc::now());
    // The data directory's `devices` account is the one `modt up` made to publish device
    // messages; it may not subscribe, so it could not be checked anyway.
    let made_for_this = account == demo::ACCOUNT && args.client.broker.username.is_none();
    let check = !args.no_delivery_check && !made_for_this;
    let outcome = run(&client, &mut generator, &args, qos, stop, check, &shutdown).await;
    client.shutdown().await;
    let (counts, elapsed) = outcome?;
    let report = report::Report::new(seed, &counts, elapsed);
    println!(
        "{}",
        if args.json {
            report.json()
        } else {
            report.text()
        }
    );
    Ok(())
}

/// A run: its first message checked as [`probe::first_message`] does (unless `check` is
/// off), then the rest as [`send`] sends them; returns what it sent and how long the rest took.
async fn run(
    client: &Client,
    generator: &mut Generator,
    args: &DevicesArgs,
    qos: QoS,
    mut stop: Stop,
    check: bool,
    shutdown: &CancellationToken,
) -> anyhow::Result<(Counts, Duration)> {
    let mut counts = Counts::default();
    if check && stop.count != Some(0) {
        tokio::select! {
            _ = shutdown.cancelled() => return Ok((counts, Duration::ZERO)),
            sent = check_first(client, generator, args) => counts.add(sent?),
        }
        stop.count = stop.count.map(|c| c - 1);
    }
    let (rest, elapsed) = send(client, generator, args.rate, qos, stop, shutdown).await?;
    counts.merge(&rest);
    Ok((counts, elapsed))
}

/// Sends the run's first message as [`probe::first_message`] does, saying on stderr when the
/// broker's acceptance could not be checked; returns its kind.
async fn check_first(
    client: &Client,
    generator: &mut Generator,
    args: &DevicesArgs,
) -> anyhow::Result<kind::Kind> {
    let first = generator.next(chrono::Utc::now())?;
    let broker = format!("{}:{}", args.client.broker.host, args.client.broker.port);
    if let probe::Probe::Unchecked(why) = probe::first_message(client, &first, &broker).await? {
        eprintln!(
            "modt sim devices: not checked that the broker takes these messages ({why}); \
             if nothing arrives, check the account's publish rights"
        );
    }
    Ok(first.kind)
}

/// Sends `generator`'s messages through `client` at `rate` until `stop` or `shutdown`;
/// returns what it sent and how long it took.
pub(crate) async fn send(
    client: &Client,
    generator: &mut Generator,
    rate: f64,
    qos: QoS,
    stop: Stop,
    shutdown: &CancellationToken,
) -> anyhow::Result<(Counts, Duration)> {
    let mut pacer = Pacer::new(rate);
    let deadline = stop.duration.map(|d| pacer.started() + d);
    let mut counts = Counts::default();
    loop {
        let due = tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = until(deadline) => break,
            n = pacer.due() => n,
        };
        let left = stop.count.map_or(due, |c| due.min(c - counts.total()));
        let now = chrono::Utc::now();
        for _ in 0..left {
            let msg = generator.next(now)?;
            client
                .publish(Outgoing::new(msg.topic, msg.payload).qos(qos))
                .await
                .context("publishing a device message")?;
            counts.add(msg.kind);
        }
        pacer.sent(left);
        if stop.count.is_some_and(|c| counts.total() >= c) {
            break;
        }
    }
    settle(client).await?;
    Ok((counts, pacer.started().elapsed()))
}

/// Returns once the broker has read everything sent before: a subscription's SUBACK comes
/// after it (one connection is read in order). Without it, a shutdown right after a burst
/// can lose messages the broker had not read yet: closing a socket that still has unread
/// acknowledgements sends a reset, and the peer drops what it had not read (seen on the
/// embedded broker: 2 of 80 QoS 1 messages arrived).
async fn settle(client: &Client) -> anyhow::Result<()> {
    let private = client.reply_root().join("settle")?.to_filter();
    drop(client.subscribe(&private, QoS::AtMostOnce).await?);
    Ok(())
}

async fn until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limits_are_checked() {
        let shape = |n| Shape {
            sites: n,
            gateways: 1000,
            dataloggers: 1000,
        };
        assert!(check(&shape(1), 10.0, 0.1, DEFAULT_OVERSIZE).is_ok());
        assert!(
            check(&shape(2), 10.0, 0.1, DEFAULT_OVERSIZE).is_err(),
            "over MAX_FLEET"
        );
        assert!(check(&shape(1), -1.0, 0.1, 10).is_err());
        assert!(check(&shape(1), f64::NAN, 0.1, 10).is_err());
        assert!(check(&shape(1), 0.0, 1.5, 10).is_err());
        assert!(check(&shape(1), 0.0, 0.0, MAX_OVERSIZE + 1).is_err());
        const { assert!(MAX_OVERSIZE + 4096 < modt::MAX_PACKET_BYTES) };
    }
}
