//! `modt bench state`: the state protocol over a broker, against any implementation of it.
//!
//! 1. Get round trips: N sequential legacy gets (answer on `modt/state/value`), each beside a
//!    bare broker echo, so the ratio shows what the state unit adds.
//! 2. Pipelined legacy sets: M QoS 1 publishes as fast as the client can send, timed until a
//!    legacy get of the last key answers with its value (the unit serves in order, so that
//!    answer follows every earlier write), then checked with a keys query that must list M keys.
//! 3. Acknowledged sets (extension): correlated sets with a window of requests in flight, each
//!    acked only after its commit; throughput and ack latency.
//!
//! The in-process unit runs on a temporary SQLite file; with `--database-url postgres://…`
//! the same three steps then run again, in the same invocation, with the unit on PostgreSQL
//! (a schema `modt_bench_…` of its own, dropped afterwards). With `--replicas N` it measures
//! replicas instead (`state_replicas`).

use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use futures::StreamExt;
use modt::protocol::{
    topics, StateAck, StateGet, StateKeysList, StateKeysQuery, StateSet, StateValue,
};
use modt::{Client, QoS, Subscription};
use modt_store::{Location, PgPool};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::stats::{ms, ratio_row, row, stats_row, Stats};
use crate::cli::StateBenchArgs;

const WAIT: Duration = Duration::from_secs(60);

/// Most pipelined-set keys read back in one keys list (it must fit one MQTT packet).
const KEYS_PER_LIST: usize = 80_000;

/// The key of the `i`-th of `m` pipelined sets: `s` and `i` in as many digits as `m - 1` has,
/// so the two-digit prefixes `s00` … `s99` split the keys into parts of at most `m / 10`.
fn set_key(i: usize, m: usize) -> String {
    let width = m.saturating_sub(1).max(1).ilog10() as usize + 1;
    format!("s{i:0width$}")
}

pub(crate) async fn state(mut args: StateBenchArgs) -> anyhow::Result<()> {
    let broker = super::embedded_broker(args.embedded, &mut args.client.broker)?;
    let result = on_each_backend(&args).await;
    super::stop_broker(broker).await?;
    result
}

/// The external unit; or the in-process unit on a temporary SQLite file and then, with
/// `--database-url`, on PostgreSQL in a schema of its own (dropped afterwards), in one run.
async fn on_each_backend(args: &StateBenchArgs) -> anyhow::Result<()> {
    if args.replicas > 0 {
        let Some(modt_store::DatabaseUrl::Postgres(url)) = &args.database_url else {
            bail!("--replicas runs state replicas on one PostgreSQL database: give --database-url postgres://…");
        };
        return super::state_replicas::replicas(args, url.clone()).await;
    }
    if args.external_state {
        if args.database_url.is_some() {
            bail!("--database-url runs the in-process state unit on PostgreSQL; it cannot go with --external-state");
        }
        return measure(args, "external").await;
    }
    let postgres = match &args.database_url {
        None => None,
        Some(modt_store::DatabaseUrl::Postgres(url)) => Some(url.clone()),
        Some(other) => bail!(
            "--database-url must be a postgres:// URL (the SQLite run always happens), not {other}"
        ),
    };
    let dir = tempfile::tempdir().context("cannot make a temporary directory for the database")?;
    let sqlite = Location::sqlite(dir.path().join(modt_state::store::SQLITE_FILE));
    println!("== state unit on SQLite");
    with_unit(args, &sqlite, "in-process (SQLite, WAL, synchronous=FULL)").await?;
    if let Some(url) = postgres {
        println!("== state unit on PostgreSQL");
        let schema = format!("modt_bench_{}", super::run_id());
        let admin = PgPool::open(&url, &schema, 1, &[])
            .await
            .with_context(|| format!("--database-url {url}"))?;
        let label = postgres_label(&admin).await?;
        let at = Location::postgres(url, &schema)?;
        let result = with_unit(args, &at, &label).await;
        let conn = admin.get().await?;
        conn.batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
            .await
            .with_context(|| format!("dropping the benchmark's schema {schema}"))?;
        result?;
    }
    Ok(())
}

/// What the PostgreSQL run is measured on: the server's version and durability settings.
async fn postgres_label(pool: &PgPool) -> anyhow::Result<String> {
    let conn = pool.get().await?;
    let mut shown = Vec::new();
    for setting in [
        "server_version",
        "synchronous_commit",
        "fsync",
        "wal_sync_method",
    ] {
        let row = conn.query_one(&format!("SHOW {setting}"), &[]).await?;
        shown.push(format!("{setting}={}", row.get::<_, String>(0)));
    }
    Ok(format!(
        "in-process (PostgreSQL {}, schema {}; {})",
        pool.url(),
        pool.schema(),
        shown.join(", ")
    ))
}

/// Runs the in-process state unit with its store at `at` while [`measure`] runs, then stops
/// it and closes the store.
async fn with_unit(args: &StateBenchArgs, at: &Location, label: &str) -> anyhow::Result<()> {
    let opened =
        modt_state::store::open(at, modt_state::DEFAULT_MAX_CONCURRENT_REQUESTS * 2).await?;
    let config = modt_state::StateConfig {
        events: args.events,
        ..Default::default()
    };
    // A share group of its own: the benchmark measures this unit alone, and a state unit
    // already online (in group `state`) gets every request too, so its doubled answers make
    // the run refuse instead of the two splitting the sets between their stores.
    let id = format!("state-bench-{}", super::run_id());
    let unit = modt_state::unit(opened.store.clone(), config)
        .unit_id(id.clone())
        .share_group(id);
    let cfg = args.client.broker.client_config("unused")?;
    let stop = CancellationToken::new();
    let token = stop.clone();
    let task = tokio::spawn(async move { unit.run(cfg, token).await });
    let result = measure(args, label).await;
    stop.cancel();
    task.await.context("state unit task")??;
    opened.close().await;
    result
}

/// Legacy gets: publish on `modt/state/get`, wait for this key's answer on `modt/state/value`.
struct LegacyGets {
    answers: Subscription,
    user: String,
    /// Answers for the key being asked for that were already waiting when a get was sent:
    /// late answers to gets that gave up, or second answers from a second state unit.
    stale: usize,
}

impl LegacyGets {
    /// Publishes a get of `key` from `client` at `qos` and waits for its answer. Gets that
    /// must come after `client`'s QoS 1 sets go at QoS 1: a QoS 0 get can overtake QoS 1 sets
    /// still queued in the broker.
    async fn get(
        &mut self,
        client: &Client,
        key: &str,
        wait: Duration,
        qos: QoS,
    ) -> anyhow::Result<StateValue> {
        while let Some(m) = self.answers.try_recv() {
            if m.json::<StateValue>()
                .is_ok_and(|v| v.user_id == self.user && v.key == key)
            {
                self.stale += 1;
            }
        }
        client
            .publish_json_qos(&topics::STATE_GET, &StateGet::new(&self.user, key), qos)
            .await?;
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let m = tokio::time::timeout_at(deadline, self.answers.recv())
                .await
                .with_context(|| format!("no answer to a get of {key} within {wait:?}"))?
                .context("subscription closed")?;
            let v: StateValue = m.json()?;
            if v.user_id == self.user && v.key == key {
                return Ok(v);
            }
        }
    }
}

async fn measure(args: &StateBenchArgs, unit: &str) -> anyhow::Result<()> {
    super::broker_probe::report(&args.client, args.embedded, None).await?;
    let client = crate::commands::connect_requester(&args.client, "modt-bench-state").await?;
    let user = format!("bench-{}", super::run_id());
    // The client whose gets are timed: this one, or one made as paho makes them.
    let (get_client, qos) = match args.paho_style {
        true => (
            super::delayed_ack_client(&args.client, "modt-bench-paho").await?,
            QoS::AtMostOnce,
        ),
        false => (client.clone(), QoS::AtLeastOnce),
    };
    let answers = get_client
        .subscribe(&topics::STATE_VALUE.to_filter(), qos)
        .await?;
    let mut gets = LegacyGets {
        answers,
        user: user.clone(),
        stale: 0,
    };

    // Wait for the unit: set a key (legacy) until a get finds it. Its own key, so a probe's
    // late answer (a slow unit) is never taken for a second answer to a timed get of k0.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        client
            .publish_json(
                &topics::STATE_SET,
                &StateSet::new(&user, "ready", json!("x".repeat(64))),
            )
            .await?;
        if let Ok(v) = gets
            .get(
                &client,
                "ready",
                Duration::from_millis(500),
                QoS::AtLeastOnce,
            )
            .await
        {
            if v.value.is_string() {
                break;
            }
        }
        if Instant::now() > deadline {
            bail!(
                "no state unit answered on {} within 15 s",
                super::broker_label(&args.client.broker)
            );
        }
    }
    // The key the timed gets read; the get after it (same client, QoS 1) sees it stored.
    client
        .publish_json(
            &topics::STATE_SET,
            &StateSet::new(&user, "k0", json!("x".repeat(64))),
        )
        .await?;
    gets.get(&client, "k0", Duration::from_secs(5), QoS::AtLeastOnce)
        .await?;
    println!(
        "broker {}  MQTT {:?}  state unit: {}",
        super::broker_label(&args.client.broker),
        args.client.broker.mqtt_version,
        unit
    );

    // 1. Get round trips beside the bare echo (one trip) and the bare relay (two trips).
    let mut bare_echo = super::BareEcho::new(&client).await?;
    let mut bare_relay = super::BareRelay::start(&client, &args.client).await?;
    let (mut bare, mut relay, mut get) = (Vec::new(), Vec::new(), Vec::new());
    let warmup = (args.gets / 10).max(10);
    let probe = serde_json::to_vec(&StateGet::new(&user, "k0"))?;
    // Late answers to the start-up probes above are expected; from here on every get waits
    // for its answer, so an extra one means a second unit answers too.
    gets.stale = 0;
    for i in 0..warmup + args.gets {
        let b = bare_echo.round_trip(&client, probe.clone()).await?;
        let r = bare_relay.round_trip(&client, probe.clone()).await?;
        let t = Instant::now();
        gets.get(&get_client, "k0", Duration::from_secs(5), qos)
            .await?;
        if i >= warmup {
            bare.push(b);
            relay.push(r);
            get.push(t.elapsed());
        }
    }
    bare_relay.stop().await?;
    if gets.stale > 0 {
        bail!(
            "{} gets were answered more than once, so the timings mean nothing: more than one \
             state unit serves {} on this broker. Stop the others (this benchmark runs its own \
             unit unless --external-state is given).",
            gets.stale,
            topics::STATE_GET.as_str()
        );
    }
    let (b, r, g) = (
        Stats::of(&mut bare),
        Stats::of(&mut relay),
        Stats::of(&mut get),
    );
    row(
        &format!("get round trip (n = {})", args.gets),
        ["p50".into(), "p99".into(), "max".into()],
    );
    stats_row("  bare broker echo (1 trip)", &b);
    stats_row("  bare relay (2 trips)", &r);
    let label = match args.paho_style {
        true => "  legacy get, paho-style",
        false => "  legacy get (2 trips)",
    };
    stats_row(label, &g);
    ratio_row("  get / bare echo", &g, &b);
    ratio_row("  get / bare relay", &g, &r);

    // 2. Pipelined legacy sets.
    if args.sets > 0 {
        let t = Instant::now();
        for i in 0..args.sets {
            client
                .publish_json(
                    &topics::STATE_SET,
                    &StateSet::new(&user, set_key(i, args.sets), json!(i)),
                )
                .await?;
        }
        let sent = t.elapsed();
        let last = set_key(args.sets - 1, args.sets);
        let v = gets.get(&client, &last, WAIT, QoS::AtLeastOnce).await?;
        let done = t.elapsed();
        if v.value != json!(args.sets - 1) {
            bail!("read back {last} = {}, expected {}", v.value, args.sets - 1);
        }
        let mut lists = client
            .subscribe(&topics::STATE_KEYS_LIST.to_filter(), QoS::AtLeastOnce)
            .await?;
        // One list must fit one MQTT packet (1 MiB, ~100k of these keys): past that, ask a
        // MoDT state unit for one prefix at a time (`s00` … `s99` partition the keys).
        let prefixes: Vec<Option<String>> = if args.sets > KEYS_PER_LIST && !args.external_state {
            (0..100).map(|p| Some(format!("s{p:02}"))).collect()
        } else {
            vec![None]
        };
        let mut count = 0;
        for prefix in prefixes {
            let mut query = StateKeysQuery::new(&user);
            query.prefix = prefix;
            client
                .publish_json(&topics::STATE_KEYS_QUERY, &query)
                .await?;
            count += loop {
                let m = tokio::time::timeout(WAIT, lists.recv())
                    .await
                    .context("no keys list (a list over 1 MiB cannot be sent; use fewer --sets)")?
                    .context("closed")?;
                let l: StateKeysList = serde_json::from_slice(&m.payload)?;
                if l.user_id == user {
                    break l.keys.iter().filter(|k| k.starts_with('s')).count();
                }
            };
        }
        if count != args.sets {
            bail!(
                "the keys query lists {count} of the {} keys set: the broker dropped sets, or \
                 another state unit with a store of its own is online and took its share of them \
                 (state units split requests; measure that one with --external-state)",
                args.sets
            );
        }
        println!(
            "pipelined legacy sets: {} in {:.2} s (sent in {:.2} s) = {:.0} sets/s durable; read back {last} ok, {count} keys listed",
            args.sets,
            done.as_secs_f64(),
            sent.as_secs_f64(),
            args.sets as f64 / done.as_secs_f64()
        );
    }

    // 3. Acknowledged sets.
    if args.acked > 0 {
        let t = Instant::now();
        let results: Vec<anyhow::Result<Duration>> = futures::stream::iter(0..args.acked)
            .map(|i| {
                let client = client.clone();
                let user = user.clone();
                async move {
                    let t = Instant::now();
                    let ack: StateAck = client
                        .request_json(
                            &topics::STATE_SET,
                            &StateSet::new(&user, format!("a{i}"), json!(i)),
                            modt::RequestOptions::new().timeout(WAIT),
                        )
                        .await?;
                    if ack.version != Some(1) {
                        bail!("a{i}: version {:?}, expected 1", ack.version);
                    }
                    Ok(t.elapsed())
                }
            })
            .buffer_unordered(args.window.max(1))
            .collect()
            .await;
        let done = t.elapsed();
        let mut lat = results.into_iter().collect::<anyhow::Result<Vec<_>>>()?;
        let l = Stats::of(&mut lat);
        let last: StateValue = client
            .request_json(
                &topics::STATE_GET,
                &StateGet::new(&user, format!("a{}", args.acked - 1)),
                modt::RequestOptions::new(),
            )
            .await?;
        if last.value != json!(args.acked - 1) {
            bail!("acked sets: read back {}", last.value);
        }
        println!(
            "acked sets (window {}): {} in {:.2} s = {:.0} sets/s; ack latency p50 {} p99 {} max {}",
            args.window,
            args.acked,
            done.as_secs_f64(),
            args.acked as f64 / done.as_secs_f64(),
            ms(l.p50),
            ms(l.p99),
            ms(l.max)
        );
    }
    get_client.shutdown().await;
    client.shutdown().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::set_key;

    #[test]
    fn two_digit_prefixes_split_the_set_keys_into_small_parts() {
        for m in [1, 9, 10, 11, 100_001, 250_000] {
            let mut parts = vec![0usize; 100];
            for i in 0..m {
                let key = set_key(i, m);
                let p: usize = key[1..3.min(key.len())].parse().unwrap();
                parts[p] += 1;
            }
            assert_eq!(parts.iter().sum::<usize>(), m);
            assert!(
                parts.iter().all(|&n| n <= (m / 10).max(10)),
                "m = {m}: {parts:?}"
            );
        }
        assert_eq!(set_key(49_999, 50_000), "s49999");
    }
}
