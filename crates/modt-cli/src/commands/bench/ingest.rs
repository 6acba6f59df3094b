//! `modt bench ingest`: the ingest unit's throughput from an external broker — messages
//! received, validated, stored and pushed as live device events — at increasing offered
//! rates, the time from a device's publish to its device event on the bus and to the devices
//! page's live update (`GET /events` of a logged-in user; p50/p99),
//! and its memory under an overload of `--overload` times the best sustained rate (what was
//! shed, and where it is counted).
//!
//! The system: a Mosquitto with its default configuration (`mosquitto -p PORT`, started
//! here) or `--external-broker`; the ingest unit as its own process (`modt unit ingest`) on
//! an embedded MoDT broker, its demo connection subscribed to `+/gateway/#` (QoS 1) on the
//! external broker; the simulator's devices publishing there (`--qos`, 0 by default: a QoS
//! 0 message the unit cannot queue is shed and counted); a client on the MoDT broker hearing
//! the device events. Every readings message carries its number in a `counter` reading, so
//! each event is matched to the publish it came from. Everything runs on this machine.
//!
//! - `system`: starting and reading the system under test.
//! - `load`: the publisher and the returning events.
//! - `page`: the devices page's live feed, as a logged-in browser gets it.

mod load;
mod page;
mod system;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context as _};
use modt::QoS;

use super::stats::{ms, Stats};
use crate::commands::sim::fleet::Shape;
use crate::commands::sim::generator::{Generator, Plan};
use load::{publish, Returns, Sent};
use page::PageFeed;
use system::{Counters, External, System};

/// The goal: messages a second the unit sustains on the 2-core machine.
pub(crate) const GOAL: f64 = 10_000.0;
/// How long a step's events may keep coming after its last publish.
const DRAIN_LIMIT: Duration = Duration::from_secs(20);
/// A step has drained when nothing came back for this long.
const QUIET: Duration = Duration::from_millis(750);
/// How often memory is sampled during the overload.
const SAMPLE_EVERY: Duration = Duration::from_millis(200);

/// `modt bench ingest`'s flags.
#[derive(Debug, clap::Args)]
pub(crate) struct IngestBenchArgs {
    /// The Mosquitto binary to start as the external broker, with its default configuration.
    #[arg(long, default_value = "mosquitto")]
    pub(crate) mosquitto: PathBuf,
    /// Use the broker at HOST:PORT as the external broker instead of starting one.
    #[arg(long, value_name = "HOST:PORT")]
    pub(crate) external_broker: Option<String>,
    /// Offered rates, messages a second, one step each.
    #[arg(long, value_delimiter = ',', default_value = "2000,5000,10000,20000")]
    pub(crate) rates: Vec<f64>,
    /// How long each rate is offered.
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration)]
    pub(crate) step: Duration,
    /// Sites of the simulated plant.
    #[arg(long, default_value_t = 10)]
    pub(crate) sites: usize,
    /// Gateways per site.
    #[arg(long, default_value_t = 10)]
    pub(crate) gateways: usize,
    /// Dataloggers per gateway.
    #[arg(long, default_value_t = 10)]
    pub(crate) dataloggers: usize,
    /// QoS of the device messages (0 or 1).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=1))]
    pub(crate) qos: u8,
    /// The overload, as a multiple of the best sustained rate (0: none).
    #[arg(long, default_value_t = 10.0)]
    pub(crate) overload: f64,
    /// How long the overload lasts.
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration)]
    pub(crate) overload_for: Duration,
    /// Seed of the simulated values.
    #[arg(long, default_value_t = 1)]
    pub(crate) seed: u64,
}

/// One step's figures.
struct Step {
    offered: f64,
    sent: u64,
    sent_per_s: f64,
    back: u64,
    back_per_s: f64,
    latency: Stats,
    /// Publish → the devices page's live update, and the page's resyncs (it fell behind).
    page: Stats,
    /// Readings the page showed (one per message, unless it fell behind), and its resyncs.
    shown: u64,
    resyncs: u64,
    counters: Counters,
    /// The ingest unit's CPU time (user + system) over the step and its drain.
    cpu: Duration,
}

pub(crate) async fn ingest(args: IngestBenchArgs) -> anyhow::Result<()> {
    let shape = Shape {
        sites: args.sites,
        gateways: args.gateways,
        dataloggers: args.dataloggers,
    };
    crate::commands::sim::check(&shape, 0.0, 0.0, 0)?;
    if shape.total_dataloggers() == 0 || args.rates.iter().any(|r| !r.is_finite() || *r < 0.0) {
        bail!("the plant needs dataloggers, and --rates are messages a second (0: unpaced)");
    }
    let qos = QoS::from_level(args.qos).context("--qos is 0 or 1")?;
    let exe = std::env::current_exe().context("cannot find this binary")?;
    let external = match &args.external_broker {
        Some(at) => {
            let (host, port) = at
                .rsplit_once(':')
                .and_then(|(h, p)| Some((h.to_owned(), p.parse().ok()?)))
                .context("--external-broker is HOST:PORT")?;
            External::At(host, port)
        }
        None => External::Start(args.mosquitto.clone()),
    };
    let system = System::start(&exe, external).await?;
    let result = run(&args, shape, qos, &system).await;
    system.stop().await?;
    result
}

async fn run(
    args: &IngestBenchArgs,
    shape: Shape,
    qos: QoS,
    system: &System,
) -> anyhow::Result<()> {
    let bus = system.bus_client("bench-ingest").await?;
    system.ready(&bus).await?;
    let devices = system.device_client().await?;
    let returns = Returns::start(&bus).await?;
    let session = system.identify.login().await?;
    let page = PageFeed::open(system.web, &session).await?;
    let plan = Plan {
        shape,
        malformed: 0.0,
        status_every: u64::MAX,
        oversize: 0,
        day: Duration::from_secs(86_400),
        mark: true,
    };
    let mut generator = Generator::new(plan, args.seed, chrono::Utc::now());
    header(args, shape, system);
    let idle_kib = system.rss_kib()?;
    let mut steps = Vec::new();
    for &rate in &args.rates {
        let step = step(
            system,
            &devices,
            (&returns, &page),
            &mut generator,
            rate,
            args.step,
            qos,
        )
        .await?;
        print_step(&step);
        steps.push(step);
    }
    let best = steps.iter().map(|s| s.back_per_s).fold(0.0, f64::max);
    println!();
    println!(
        "sustained: {best:.0} msg/s stored and pushed (goal ≥ {GOAL:.0}: {})",
        if best >= GOAL { "met" } else { "not met" }
    );
    println!(
        "ingest unit RSS: {} at rest, {} after the steps",
        mib(idle_kib),
        mib(system.rss_kib()?)
    );
    if args.overload > 0.0 {
        overload(args, system, &devices, &returns, &mut generator, best, qos).await?;
    }
    returns.stop().await;
    page.stop().await;
    devices.shutdown().await;
    bus.shutdown().await;
    Ok(())
}

/// Offers `rate` for `duration`, waits for the events to drain, and measures.
async fn step(
    system: &System,
    devices: &modt::Client,
    (returns, page): (&Returns, &PageFeed),
    generator: &mut Generator,
    rate: f64,
    duration: Duration,
    qos: QoS,
) -> anyhow::Result<Step> {
    returns.take();
    page.take();
    let before = system.counters().await?;
    let cpu_before = system.cpu()?;
    let sent = publish(devices, generator, rate, duration, qos).await?;
    returns.drained(QUIET, DRAIN_LIMIT).await;
    let counters = system.counters().await?.since(&before);
    let cpu = system.cpu()?.saturating_sub(cpu_before);
    let back = returns.take();
    let (shown, resyncs) = page.take();
    let mut step = measure(rate, &sent, &back, counters, cpu);
    let mut on_page = latencies(&sent, &shown);
    step.shown = on_page.len() as u64;
    step.page = Stats::of(&mut on_page);
    step.resyncs = resyncs;
    Ok(step)
}

/// From each numbered publish to when it came back.
fn latencies(sent: &Sent, back: &[(u64, tokio::time::Instant)]) -> Vec<Duration> {
    back.iter()
        .filter_map(|(n, at)| Some(at.saturating_duration_since(sent.when(*n)?)))
        .collect()
}

fn measure(
    offered: f64,
    sent: &Sent,
    back: &[(u64, tokio::time::Instant)],
    counters: Counters,
    cpu: Duration,
) -> Step {
    let mut latencies = latencies(sent, back);
    let start = sent.at.first().copied();
    let last = back.iter().map(|(_, at)| *at).max();
    let span = match (start, last) {
        (Some(s), Some(l)) => l.saturating_duration_since(s).as_secs_f64(),
        _ => 0.0,
    };
    let n = latencies.len() as u64;
    Step {
        offered,
        sent: sent.count(),
        sent_per_s: sent.count() as f64 / sent.elapsed.as_secs_f64().max(1e-9),
        back: n,
        back_per_s: if span > 0.0 { n as f64 / span } else { 0.0 },
        latency: Stats::of(&mut latencies),
        page: Stats::of(&mut Vec::new()),
        shown: 0,
        resyncs: 0,
        counters,
        cpu,
    }
}

/// Offers `factor ×` the best sustained rate for `--overload-for` and samples the unit's
/// memory meanwhile and after.
async fn overload(
    args: &IngestBenchArgs,
    system: &System,
    devices: &modt::Client,
    returns: &Returns,
    generator: &mut Generator,
    best: f64,
    qos: QoS,
) -> anyhow::Result<()> {
    let rate = args.overload * best.max(1.0);
    let before = system.counters().await?;
    let idle = system.rss_kib()?;
    returns.take();
    let sampling = async {
        let mut peak = idle;
        loop {
            tokio::time::sleep(SAMPLE_EVERY).await;
            peak = peak.max(system.rss_kib().unwrap_or(0));
            if peak == u64::MAX {
                return peak;
            }
        }
    };
    let (sent, peak) = tokio::select! {
        s = publish(devices, generator, rate, args.overload_for, qos) => (s?, None),
        p = sampling => (Sent { first: 0, at: Vec::new(), elapsed: Duration::ZERO }, Some(p)),
    };
    let peak = peak.unwrap_or(0).max(system.rss_kib()?);
    returns.drained(QUIET, DRAIN_LIMIT).await;
    let after_drain = system.rss_kib()?;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let later = system.rss_kib()?;
    let c = system.counters().await?.since(&before);
    let back = returns.take().len() as u64;
    let offered = sent.count();
    println!();
    println!(
        "overload: {:.0} msg/s asked ({}× the sustained rate) for {:?}; the load generator sent {} ({:.0} msg/s)",
        rate,
        args.overload,
        args.overload_for,
        offered,
        offered as f64 / sent.elapsed.as_secs_f64().max(1e-9)
    );
    println!(
        "  reached the unit {} · parsed, stored, pushed {} (events back {}) · shed at its queue {} (modt_ingest_shed_total, and in each topic's count) · never reached it {} (dropped by the external broker or the connection)",
        c.received(),
        c.parsed,
        back,
        c.shed,
        offered.saturating_sub(c.received())
    );
    println!(
        "  ingest unit RSS: {} before, peak {} (sampled every {:?}), {} once drained, {} 5 s later",
        mib(idle),
        mib(peak),
        SAMPLE_EVERY,
        mib(after_drain),
        mib(later)
    );
    Ok(())
}

fn header(args: &IngestBenchArgs, shape: Shape, system: &System) {
    println!("modt bench ingest — {}", machine());
    println!(
        "method: devices ({} sites × {} gateways × {} dataloggers, readings of 4–5 sensors, QoS {}) publish to {}:{} ({}); \
         the ingest unit (its own process, SQLite) reads them through its demo connection (QoS 1 subscription), \
         stores them and publishes device events on an embedded MoDT broker, where this process hears them; \
         each step offers a rate for {:?}, then waits for the events to stop (quiet {:?}); latency: publish → device event; \
         page: publish → the devices page's live update (`GET /events` of a user logged in at an identify unit on the bus; \
         shown: readings the page got, resync: times it fell behind and would reload); \
         cpu/msg: the unit's CPU time (user + system) over the step ÷ messages back",
        shape.sites,
        shape.gateways,
        shape.dataloggers,
        args.qos,
        system.external.0,
        system.external.1,
        if args.external_broker.is_some() { "given" } else { "a Mosquitto started with its default configuration" },
        args.step,
        QUIET
    );
    println!();
    println!(
        "{:>9} {:>9} {:>10} {:>9} {:>11} {:>10} {:>10} {:>10} {:>8} {:>8} {:>9} {:>9} {:>10} {:>10} {:>7}",
        "offered",
        "sent",
        "sent/s",
        "back",
        "back/s",
        "p50",
        "p99",
        "max",
        "shed",
        "lost",
        "cpu/msg",
        "shown",
        "page p50",
        "page p99",
        "resync"
    );
}

fn print_step(s: &Step) {
    println!(
        "{:>9.0} {:>9} {:>10.0} {:>9} {:>11.0} {:>10} {:>10} {:>10} {:>8} {:>8} {:>9} {:>9} {:>10} {:>10} {:>7}",
        s.offered,
        s.sent,
        s.sent_per_s,
        s.back,
        s.back_per_s,
        ms(s.latency.p50),
        ms(s.latency.p99),
        ms(s.latency.max),
        s.counters.shed,
        s.sent.saturating_sub(s.counters.received()),
        per_message(s.cpu, s.back),
        s.shown,
        ms(s.page.p50),
        ms(s.page.p99),
        s.resyncs,
    );
}

/// `cpu` ÷ `messages`, in µs.
fn per_message(cpu: Duration, messages: u64) -> String {
    match messages {
        0 => "-".to_owned(),
        n => format!("{:.0} µs", cpu.as_secs_f64() * 1e6 / n as f64),
    }
}

fn mib(kib: u64) -> String {
    format!("{:.1} MB", kib as f64 / 1024.0)
}

/// The CPU, its cores and the load average when the run started.
fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let load = std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default();
    format!("{model}, {cores} cores, load average {load} at the start")
}
