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

use std::future::Future;
use std::io::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use modt::protocol::{topics, ErrorCode, StateAck, StateSet};
use modt::{Client, ClientConfig, Credentials, MqttVersion, Secret};
use modt_testkit::{client_id, wait_online, wait_status, wait_until, TestBroker};
use support::acked_writes::{key, read_back, value, write_all, Logs, Tally};
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

/// Runs the write stream against the state unit that `client` reaches, sets `fault` off once
/// `FAULT_AFTER` writes are acked (it must return with the state unit online again), then
/// reads every key back, prints the report line and checks it.
async fn exercise(name: &str, client: &Client, logs: &Logs, fault: impl Future<Output = ()>) {
    let started = Instant::now();
    let user = client_id("fault-user");
    let acked = Arc::new(AtomicUsize::new(0));
    let options = modt::RequestOptions::new().timeout(WRITE_TIMEOUT);
    let writer = tokio::spawn(write_all(
        client.clone(),
        user.clone(),
        WRITES,
        CONCURRENCY,
        options,
        acked.clone(),
    ));
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

    let stored = read_back(client, &user, WRITES).await;
    let Tally {
        acked_lost,
        applied_twice,
        unacked,
        unacked_applied,
        failures,
    } = Tally::of(&outcomes, &stored);

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
    let _turn = modt_testkit::heavy_test().await;
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
    let _turn = modt_testkit::heavy_test().await;
    broker_killed_under_writes("broker-kill-embedded", TestBroker::embedded()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mosquitto_killed_under_writes() {
    modt_testkit::init_tracing();
    let _turn = modt_testkit::heavy_test().await;
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
    let _turn = modt_testkit::heavy_test().await;
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
