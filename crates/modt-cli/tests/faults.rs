//! Faults under load: a stream of concurrent, correlated `modt/state/set` writes is in flight
//! when a process dies — the state unit (SIGKILL), the broker (the embedded one, stopped and
//! restarted on its port; Mosquitto, SIGKILL and restarted on its port) or the whole `modt
//! up` (SIGKILL) — and comes back on the same data directory and port. Writes that were in
//! flight may fail (timeout): they count as not acked. Afterwards every key is read back:
//!
//! - `acked-lost`: acked writes whose key does not hold the acked value (must be 0: an ack
//!   means durable);
//! - `applied-twice`: keys whose version (stored or acked) is above 1 although each key is
//!   sent once (must be 0: a write is applied at most once, e.g. not again when a request
//!   is delivered a second time after a reconnect).
//!
//! Each test prints `fault=NAME writes=N acked=A acked-lost=X applied-twice=Y …`, plus how
//! many not-acked writes were applied anyway (`unacked-applied`) and how many of them a retry
//! with `if_version: 0` found already written (`retry-conflict`; the two should agree).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeMap;
use std::future::Future;
use std::io::{BufRead as _, Write as _};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt as _;
use modt::protocol::{
    topics, BulkValue, Correlation, ErrorCode, StateAck, StateBulkGet, StateBulkValue, StateSet,
};
use modt::{Client, ClientConfig, Credentials, MqttVersion, Secret};
use modt_testkit::{client_id, wait_online, wait_status, wait_until, TestBroker};
use serde_json::{json, Value};
use tokio::task::block_in_place;

/// Writes per test, each to its own key with its own value.
const WRITES: usize = 300;
/// Writes in flight at once.
const CONCURRENCY: usize = 32;
/// How long a write waits for its ack; a write the fault swallowed fails after this.
const WRITE_TIMEOUT: Duration = Duration::from_secs(3);
/// The fault strikes once this many writes are acked (the rest are still to come or in flight).
const FAULT_AFTER: usize = WRITES / 3;
/// How long the broker stays down in the broker tests.
const OUTAGE: Duration = Duration::from_millis(300);

fn key(i: usize) -> String {
    format!("k{i:04}")
}

fn value(i: usize) -> Value {
    json!({"i": i, "payload": format!("value-{i}")})
}

/// Warnings and errors the `modt` children logged, shown with the test's report.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<String>>>);

impl Logs {
    /// Reads the child's stdout and stderr to the end (so it never blocks on a full pipe),
    /// keeping its warning and error lines.
    fn drain(&self, mut p: support::ModtProcess, name: &str) -> support::ModtProcess {
        let pipes: [Option<Box<dyn std::io::Read + Send>>; 2] = [
            p.child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
            p.child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
        ];
        for pipe in pipes.into_iter().flatten() {
            let keep = self.0.clone();
            let name = name.to_string();
            std::thread::spawn(move || {
                for line in std::io::BufReader::new(pipe).lines() {
                    let Ok(line) = line else { break };
                    if line.contains("WARN") || line.contains("ERROR") {
                        keep.lock().unwrap().push(format!("[{name}] {line}"));
                    }
                }
            });
        }
        p
    }

    fn len(&self) -> usize {
        self.0.lock().unwrap().len()
    }

    /// Prints the first `n` lines kept.
    fn print(&self, n: usize) {
        for line in self.0.lock().unwrap().iter().take(n) {
            println!("{line}");
        }
    }
}

/// What the writer saw of one write.
#[derive(Debug, Clone)]
enum Outcome {
    /// Acked, with the version the ack named.
    Acked(Option<u64>),
    /// Failed with this code (a timeout, mostly).
    Failed(ErrorCode),
}

/// Sends the `WRITES` sets, `CONCURRENCY` at a time, counting acks in `acked` as they come.
async fn write_all(client: Client, user: String, acked: Arc<AtomicUsize>) -> Vec<Outcome> {
    let mut outcomes = vec![Outcome::Failed(ErrorCode::Internal); WRITES];
    let results: Vec<(usize, Outcome)> = futures::stream::iter(0..WRITES)
        .map(|i| {
            let client = client.clone();
            let user = user.clone();
            let acked = acked.clone();
            async move {
                let set = StateSet::new(user, key(i), value(i));
                let r = client
                    .request_json::<_, StateAck>(
                        &topics::STATE_SET,
                        &set,
                        modt::RequestOptions::new().timeout(WRITE_TIMEOUT),
                    )
                    .await;
                let outcome = match r {
                    Ok(ack) => {
                        acked.fetch_add(1, Ordering::SeqCst);
                        Outcome::Acked(ack.version)
                    }
                    Err(e) => Outcome::Failed(e.code()),
                };
                (i, outcome)
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    for (i, o) in results {
        outcomes[i] = o;
    }
    outcomes
}

/// Every key's stored value and version (a correlated bulk get, retried while the system
/// settles).
async fn read_back(client: &Client, user: &str) -> BTreeMap<String, Option<BulkValue>> {
    let get = StateBulkGet {
        timestamp: None,
        user_id: user.to_string(),
        keys: (0..WRITES).map(key).collect(),
        correlation: Correlation::NONE,
    };
    let mut last = None;
    for _ in 0..10 {
        match client
            .request_json::<_, StateBulkValue>(
                &topics::STATE_BULK_GET,
                &get,
                modt::RequestOptions::new().timeout(Duration::from_secs(5)),
            )
            .await
        {
            Ok(v) => return v.values,
            Err(e) => {
                last = Some(e);
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
    panic!("could not read the keys back: {last:?}");
}

/// Runs the write stream against the state unit that `client` reaches, sets `fault` off once
/// `FAULT_AFTER` writes are acked (it must return with the state unit online again), then
/// reads every key back, prints the report line and checks it.
async fn exercise(name: &str, client: &Client, logs: &Logs, fault: impl Future<Output = ()>) {
    let started = Instant::now();
    let user = client_id("fault-user");
    let acked = Arc::new(AtomicUsize::new(0));
    let writer = tokio::spawn(write_all(client.clone(), user.clone(), acked.clone()));
    wait_until(
        Duration::from_secs(30),
        &format!("{FAULT_AFTER} acked writes before the fault"),
        || {
            let acked = acked.clone();
            async move { acked.load(Ordering::SeqCst) >= FAULT_AFTER }
        },
    )
    .await;
    let acked_before = acked.load(Ordering::SeqCst);
    let fault_started = Instant::now();
    fault.await;
    let acked_at_recovery = acked.load(Ordering::SeqCst);
    let recovery = fault_started.elapsed();
    let outcomes = writer.await.unwrap();
    let acked_total = acked.load(Ordering::SeqCst);

    let stored = read_back(client, &user).await;
    let mut acked_lost = Vec::new();
    let mut applied_twice = Vec::new();
    let mut unacked = Vec::new();
    let mut unacked_applied = 0;
    let mut failures: BTreeMap<String, usize> = BTreeMap::new();
    for (i, outcome) in outcomes.iter().enumerate() {
        let k = key(i);
        let got = stored.get(&k).cloned().flatten();
        let stored_version = got.as_ref().map(|v| v.meta.version);
        match outcome {
            Outcome::Acked(ack_version) => {
                if got.as_ref().map(|v| &v.value) != Some(&value(i)) {
                    acked_lost.push(format!("{k}: acked v{ack_version:?}, stored {got:?}"));
                }
                if ack_version.unwrap_or(1) > 1 || stored_version.unwrap_or(1) > 1 {
                    applied_twice.push(format!(
                        "{k}: acked v{ack_version:?}, stored v{stored_version:?}"
                    ));
                }
            }
            Outcome::Failed(code) => {
                *failures.entry(code.to_string()).or_default() += 1;
                unacked.push(i);
                if got.is_some() {
                    unacked_applied += 1;
                }
                if stored_version.unwrap_or(1) > 1 {
                    applied_twice.push(format!("{k}: not acked, stored v{stored_version:?}"));
                }
            }
        }
    }

    // What the children logged up to here (the retries below log their conflicts).
    let logged = logs.len();
    // A retry that must not overwrite: `conflict` means the first attempt was applied.
    let mut retry_conflict = 0;
    let mut retry_applied = 0;
    let mut retry_failed = 0;
    for &i in &unacked {
        let mut set = StateSet::new(user.clone(), key(i), value(i));
        set.if_version = Some(0);
        match client
            .request_json::<_, StateAck>(
                &topics::STATE_SET,
                &set,
                modt::RequestOptions::new().timeout(Duration::from_secs(5)),
            )
            .await
        {
            Ok(_) => retry_applied += 1,
            Err(e) if e.code() == ErrorCode::Conflict => retry_conflict += 1,
            Err(_) => retry_failed += 1,
        }
    }

    let line = format!(
        "fault={name} writes={WRITES} acked={acked_total} acked-lost={} applied-twice={} \
         unacked-applied={unacked_applied} retry-conflict={retry_conflict} \
         retry-applied={retry_applied} retry-failed={retry_failed} failures={failures:?} \
         acked-before-fault={acked_before} acked-during-fault={} recovery={recovery:.1?} \
         elapsed={:.1?}",
        acked_lost.len(),
        applied_twice.len(),
        acked_at_recovery - acked_before,
        started.elapsed(),
    );
    // Straight to stderr, past the harness's capture, so CI's log shows the numbers of
    // passing runs too.
    let _ = writeln!(std::io::stderr(), "{line}");
    if !acked_lost.is_empty() || !applied_twice.is_empty() {
        logs.print(logged);
    }
    assert!(
        acked_total < WRITES,
        "every write was acked, so the fault did not strike while writes were in flight: {line}"
    );
    assert!(
        acked_total > acked_at_recovery,
        "no write was acked after the recovery, so the stream did not span the fault: {line}"
    );
    assert!(
        acked_lost.is_empty() && applied_twice.is_empty(),
        "{line}\nacked but lost: {acked_lost:#?}\napplied twice: {applied_twice:#?}"
    );
}

/// A state unit, the real binary, against the broker on `port`, its data in `dir`.
fn start_state(
    logs: &Logs,
    unit_id: &str,
    port: &str,
    dir: &std::path::Path,
) -> support::ModtProcess {
    logs.drain(
        support::spawn_unit("state", unit_id, port, dir, &[]),
        unit_id,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_unit_killed_under_writes() {
    modt_testkit::init_tracing();
    let logs = Logs::default();
    let broker = TestBroker::embedded();
    let port = broker.port().to_string();
    let dir = tempfile::tempdir().unwrap();
    let unit_id = client_id("state-fault");
    let client = Client::connect(broker.client_config("writer", MqttVersion::V5))
        .await
        .unwrap();
    let mut unit = start_state(&logs, &unit_id, &port, dir.path());
    wait_online(&client, &unit_id).await;

    let fault = async {
        unit.signal("KILL");
        block_in_place(|| unit.wait_exit(10));
        wait_status(&client, &unit_id, "offline").await;
        unit = start_state(&logs, &unit_id, &port, dir.path());
        wait_online(&client, &unit_id).await;
    };
    exercise("state-kill", &client, &logs, fault).await;
    client.shutdown().await;
}

/// The state unit on `broker`; the broker is stopped (connections dropped) under the writes
/// and started again on its port after [`OUTAGE`].
async fn broker_killed_under_writes(name: &str, mut broker: TestBroker) {
    let logs = Logs::default();
    let port = broker.port().to_string();
    let dir = tempfile::tempdir().unwrap();
    let unit_id = client_id("state-fault");
    let client = Client::connect(broker.client_config("writer", MqttVersion::V5))
        .await
        .unwrap();
    let _unit = start_state(&logs, &unit_id, &port, dir.path());
    wait_online(&client, &unit_id).await;

    let fault = async {
        block_in_place(|| broker.stop());
        tokio::time::sleep(OUTAGE).await;
        block_in_place(|| broker.restart());
        // Retained messages do not survive the restart: this `online` is the unit's new one.
        wait_online(&client, &unit_id).await;
    };
    exercise(name, &client, &logs, fault).await;
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_broker_killed_under_writes() {
    modt_testkit::init_tracing();
    broker_killed_under_writes("broker-kill-embedded", TestBroker::embedded()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mosquitto_killed_under_writes() {
    modt_testkit::init_tracing();
    // Skips (saying why) without Mosquitto; fails instead when MODT_REQUIRE_MOSQUITTO is set.
    let Some(broker) = TestBroker::mosquitto() else {
        println!("fault=broker-kill-mosquitto skipped: mosquitto is not installed");
        return;
    };
    broker_killed_under_writes("broker-kill-mosquitto", broker).await;
}

/// `modt up` with its data in `dir` and its broker on `port`.
fn start_up(logs: &Logs, dir: &std::path::Path, port: &str) -> support::ModtProcess {
    let (up, _banner) = support::up_with_web_args(dir, &["--broker-port", port]);
    logs.drain(up, "up")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whole_system_killed_under_writes() {
    modt_testkit::init_tracing();
    let logs = Logs::default();
    let dir = tempfile::tempdir().unwrap();
    let port_n = support::free_port();
    let port = port_n.to_string();
    let mut up = block_in_place(|| start_up(&logs, dir.path(), &port));

    // The operator's account, whose password `modt up` generated into the data directory.
    let password = std::fs::read_to_string(dir.path().join("credentials/cli.password")).unwrap();
    let mut config = ClientConfig::new("127.0.0.1", port_n, client_id("cli"));
    config.credentials = Some(Credentials {
        username: "cli".into(),
        password: Secret::new(password.trim()),
    });
    config.reconnect_max = Duration::from_millis(500);
    let client = Client::connect(config).await.unwrap();
    wait_online(&client, "state").await;

    let fault = async {
        up.signal("KILL");
        block_in_place(|| up.wait_exit(10));
        up = block_in_place(|| start_up(&logs, dir.path(), &port));
        wait_online(&client, "state").await;
    };
    exercise("up-kill", &client, &logs, fault).await;
    client.shutdown().await;
}
