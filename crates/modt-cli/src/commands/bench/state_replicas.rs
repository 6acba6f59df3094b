//! `modt bench state --replicas N --database-url postgres://…`: acknowledged set throughput
//! with 1, 2, … N state replicas on one PostgreSQL schema, in the same run, then the fail-over
//! time after one replica is killed under a stream of retried writes.
//!
//! The replicas run in this process (each its own store: its own connection pool and writer,
//! as separate processes would have), in a shared-subscription group of their own, so a state
//! unit already on the broker takes no part. A kill is the replica's MQTT session ending
//! without a DISCONNECT (its task aborted): the broker drops the requests it held, and their
//! requesters send them again after their attempt timeout (`RequestOptions::retries`).

use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use futures::StreamExt;
use modt::protocol::{topics, StateAck, StateSet};
use modt::{Client, RequestOptions};
use modt_store::{Location, PgPool, PostgresUrl};
use serde_json::json;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::stats::{ms, Stats};
use crate::cli::StateBenchArgs;

/// How long one attempt of a write waits in the fail-over run before it is sent again.
const FAILOVER_ATTEMPT: Duration = Duration::from_millis(500);
/// Retries of a write in the fail-over run.
const FAILOVER_RETRIES: u32 = 8;
/// Sets in flight at once in the fail-over run (at most): few enough that an ack comes well
/// within the attempt timeout, so only the sets the kill caught are sent again.
const FAILOVER_WINDOW: usize = 32;
/// Most replicas the benchmark starts.
pub(crate) const MAX_BENCH_REPLICAS: usize = 8;

/// One running replica.
struct Replica {
    task: JoinHandle<Result<(), modt::Error>>,
    stop: CancellationToken,
    opened: modt_state::store::OpenedStore,
}

/// Runs the replica benchmark on `url` (a schema of its own, dropped afterwards).
pub(super) async fn replicas(args: &StateBenchArgs, url: PostgresUrl) -> anyhow::Result<()> {
    let n = args.replicas;
    if !(1..=MAX_BENCH_REPLICAS).contains(&n) {
        bail!("--replicas {n}: between 1 and {MAX_BENCH_REPLICAS}");
    }
    let schema = format!("modt_bench_{}", super::run_id());
    let admin = PgPool::open(&url, &schema, 1, &[])
        .await
        .with_context(|| format!("--database-url {url}"))?;
    let at = Location::postgres(url, &schema)?;
    let result = run(args, &at, n).await;
    let conn = admin.get().await?;
    conn.batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
        .await
        .with_context(|| format!("dropping the benchmark's schema {schema}"))?;
    result
}

async fn run(args: &StateBenchArgs, at: &Location, n: usize) -> anyhow::Result<()> {
    let group = format!("state-bench-{}", super::run_id());
    println!(
        "== state replicas on PostgreSQL ({}): acked sets, window {}, {} per run; group {group}",
        at, args.window, args.acked
    );
    let client = crate::commands::connect_requester(&args.client, "modt-bench-replicas").await?;
    let mut running: Vec<Replica> = Vec::new();
    for count in 1..=n {
        running.push(start(args, at, &group, count).await?);
        // Every replica's subscription is in place once it answers its ping.
        wait_ready(&client, &group, count).await?;
        let user = format!("bench-r{count}-{}", super::run_id());
        let options = RequestOptions::new().timeout(Duration::from_secs(60));
        let (done, mut lat, _) =
            acked_sets(&client, &user, args.acked, args.window, options, None).await?;
        let l = Stats::of(&mut lat);
        println!(
            "replicas {count}: {} acked sets in {:.2} s = {:.0} sets/s; ack latency p50 {} p99 {}",
            args.acked,
            done.as_secs_f64(),
            args.acked as f64 / done.as_secs_f64(),
            ms(l.p50),
            ms(l.p99)
        );
    }
    if n >= 2 {
        failover(args, &client, &mut running).await?;
    }
    for r in running {
        stop(r).await;
    }
    client.shutdown().await;
    Ok(())
}

/// Starts replica number `k` of `group` with its store at `at`.
async fn start(
    args: &StateBenchArgs,
    at: &Location,
    group: &str,
    k: usize,
) -> anyhow::Result<Replica> {
    let opened =
        modt_state::store::open(at, modt_state::DEFAULT_MAX_CONCURRENT_REQUESTS * 2).await?;
    let config = modt_state::StateConfig {
        events: args.events,
        ..Default::default()
    };
    let unit = modt_state::unit(opened.store.clone(), config)
        .unit_id(format!("{group}-{k}"))
        .replicas_group(group);
    let cfg = args.client.broker.client_config("unused")?;
    let stop = CancellationToken::new();
    let token = stop.clone();
    let task = tokio::spawn(async move { unit.run(cfg, token).await });
    Ok(Replica { task, stop, opened })
}

/// Waits until replicas 1..=`count` answer their pings.
async fn wait_ready(client: &Client, group: &str, count: usize) -> anyhow::Result<()> {
    for k in 1..=count {
        let ping = topics::unit_ping(&format!("{group}-{k}"))?;
        let opts = RequestOptions::new()
            .timeout(Duration::from_secs(2))
            .retries(7);
        let _: serde_json::Value = client.request_json(&ping, &json!({}), opts).await?;
    }
    Ok(())
}

async fn stop(r: Replica) {
    r.stop.cancel();
    let _ = r.task.await;
    r.opened.close().await;
}

/// Sends `count` acked sets, `window` at a time; returns the total time, each ack's latency,
/// and the (sent, acked) instants of each. When `kill_after` is `(k, signal)`, the signal fires
/// once `k` sets are acked.
async fn acked_sets(
    client: &Client,
    user: &str,
    count: usize,
    window: usize,
    options: RequestOptions,
    kill_after: Option<(usize, tokio::sync::oneshot::Sender<Instant>)>,
) -> anyhow::Result<(Duration, Vec<Duration>, Vec<(Instant, Instant)>)> {
    let acked = std::sync::atomic::AtomicUsize::new(0);
    let kill = std::sync::Mutex::new(kill_after);
    let t = Instant::now();
    let results: Vec<anyhow::Result<(Instant, Instant)>> = futures::stream::iter(0..count)
        .map(|i| {
            let (client, options, acked, kill) = (client.clone(), options.clone(), &acked, &kill);
            async move {
                let sent = Instant::now();
                let set = StateSet::new(user, format!("a{i}"), json!(i));
                let ack: StateAck = client
                    .request_json(&topics::STATE_SET, &set, options)
                    .await?;
                if ack.version != Some(1) {
                    bail!(
                        "a{i}: version {:?}, expected 1 (applied twice?)",
                        ack.version
                    );
                }
                let n = acked.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                let mut kill = kill.lock().unwrap_or_else(|p| p.into_inner());
                if kill.as_ref().is_some_and(|(k, _)| n >= *k) {
                    if let Some((_, signal)) = kill.take() {
                        let _ = signal.send(Instant::now());
                    }
                }
                Ok((sent, Instant::now()))
            }
        })
        .buffer_unordered(window.max(1))
        .collect()
        .await;
    let done = t.elapsed();
    let times = results.into_iter().collect::<anyhow::Result<Vec<_>>>()?;
    let lat = times.iter().map(|(s, a)| a.duration_since(*s)).collect();
    Ok((done, lat, times))
}

/// Kills the first replica a third of the way through a stream of retried sets and reports
/// how long the sets it held took to be answered by the others.
async fn failover(
    args: &StateBenchArgs,
    client: &Client,
    running: &mut Vec<Replica>,
) -> anyhow::Result<()> {
    let n = running.len();
    let user = format!("bench-failover-{}", super::run_id());
    let options = RequestOptions::new()
        .timeout(FAILOVER_ATTEMPT)
        .retries(FAILOVER_RETRIES);
    let (signal, killed) = tokio::sync::oneshot::channel();
    let first = running.remove(0);
    let victim = first.task.abort_handle();
    let kill = async move {
        if let Ok(at) = killed.await {
            victim.abort();
            return Some(at);
        }
        None
    };
    let sets = acked_sets(
        client,
        &user,
        args.acked,
        args.window.min(FAILOVER_WINDOW),
        options,
        Some((args.acked / 3, signal)),
    );
    let (killed_at, result) = tokio::join!(kill, sets);
    let (done, mut lat, times) = result?;
    first.opened.close().await;
    let Some(killed_at) = killed_at else {
        bail!("the fail-over run ended before the kill");
    };
    let caught: Vec<Duration> = times
        .iter()
        .filter(|(sent, at)| *sent < killed_at && *at > killed_at)
        .map(|(_, at)| at.duration_since(killed_at))
        .collect();
    let l = Stats::of(&mut lat);
    println!(
        "fail-over: {n} replicas, one killed after {} of {} acked sets (window {}, attempt \
         timeout {}, up to {FAILOVER_RETRIES} retries): all acked once, {} sets/s; {} sets \
         caught by the kill, all answered within {} of it; ack latency p50 {} p99 {} max {}",
        args.acked / 3,
        args.acked,
        args.window.min(FAILOVER_WINDOW),
        ms(FAILOVER_ATTEMPT),
        (args.acked as f64 / done.as_secs_f64()).round(),
        caught.len(),
        ms(caught.iter().max().copied().unwrap_or_default()),
        ms(l.p50),
        ms(l.p99),
        ms(l.max)
    );
    Ok(())
}
