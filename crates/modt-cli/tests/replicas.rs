//! Replicas of the state unit: three `modt unit state` processes on one PostgreSQL database
//! (the test kit's throw-away cluster) and the embedded broker, splitting the requests through
//! the shared subscription `$share/state/modt/state/…`.
//!
//! - Read-your-writes: a set acked by one replica is what the next get returns, whichever
//!   replica answers it.
//! - Fault: under a stream of acked writes, each sent with retries
//!   (`RequestOptions::retries`: the same request id again after a timeout), one replica is
//!   killed (SIGKILL) and started again. Requests it held are lost with it; their retries
//!   reach the others. Afterwards every key is read back: `acked-lost` and `applied-twice`
//!   (counted as in `faults.rs`) must be 0, every write acked, and every replica must have
//!   answered some of the stream. The line printed also says how long after the kill the
//!   requests caught in it were answered (`in-flight-answered-after`) and when the killed
//!   replica was back online (`restarted-after`).
//!
//! Skipped with a reason without PostgreSQL, unless `MODT_REQUIRE_POSTGRES=1` (CI). A second
//! test runs two replicas on Mosquitto over one SQLite file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::io::Write as _;
use std::time::{Duration, Instant};

use modt::protocol::{topics, PingReply, StateAck, StateGet, StateSet, StateValue};
use modt::{Client, MqttVersion, RequestOptions};
use modt_testkit::{client_id, wait_online, wait_status, TestBroker};
use serde_json::json;
use support::acked_writes::{read_back, AfterKill, Logs, Stream, Tally};
use support::replicas::start_in_turn;
use tokio::task::block_in_place;

/// State replicas started.
const REPLICAS: usize = 3;
/// Writes in the stream, each to its own key.
const WRITES: usize = 600;
/// Writes in flight at once.
const CONCURRENCY: usize = 32;
/// How long one attempt of a write waits for its ack before it is sent again.
const ATTEMPT: Duration = Duration::from_secs(1);
/// Retries of a write; enough to outlast the kill by far.
const RETRIES: u32 = 8;
/// The replica is killed once this many writes are acked.
const FAULT_AFTER: usize = WRITES / 3;

/// `modt unit state` as `unit_id`, on `database`, against the broker on `port`.
fn start_replica(
    logs: &Logs,
    unit_id: &str,
    port: &str,
    dir: &std::path::Path,
    database: &str,
) -> support::ModtProcess {
    let extra = ["--state-database-url", database, "--log", "warn"];
    logs.drain(
        support::spawn_unit("state", unit_id, port, dir, &extra),
        unit_id,
    )
}

/// The messages replica `unit_id` has handled, from its ping.
async fn handled(client: &Client, unit_id: &str) -> u64 {
    let ping = topics::unit_ping(unit_id).unwrap();
    let opts = RequestOptions::new().timeout(Duration::from_secs(5));
    let reply: PingReply = client.request_json(&ping, &json!({}), opts).await.unwrap();
    reply.handled
}

/// Each set acked by one replica is seen by the get that follows, whichever replica gets it.
async fn read_your_writes(client: &Client) {
    let user = client_id("ryw-user");
    let opts = || RequestOptions::new().timeout(Duration::from_secs(5));
    for i in 0..30 {
        let set = StateSet::new(user.clone(), "k", json!(i));
        let ack: StateAck = client
            .request_json(&topics::STATE_SET, &set, opts())
            .await
            .unwrap();
        assert_eq!(ack.version, Some(i + 1));
        let get = StateGet::new(user.clone(), "k");
        let value: StateValue = client
            .request_json(&topics::STATE_GET, &get, opts())
            .await
            .unwrap();
        assert_eq!(value.value, json!(i), "the get after set {i}");
        assert_eq!(value.version, Some(i + 1));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_state_replica_killed_under_retried_writes_loses_and_repeats_nothing() {
    modt_testkit::init_tracing();
    let _turn = modt_testkit::heavy_test().await;
    let Some(db) = modt_testkit::postgres::test_database().await else {
        println!("fault=replica-kill skipped: no PostgreSQL");
        return;
    };
    let logs = Logs::default();
    let broker = TestBroker::embedded();
    let port = broker.port().to_string();
    let dir = tempfile::tempdir().unwrap();
    let ids: Vec<String> = (1..=REPLICAS)
        .map(|n| client_id(&format!("state-{n}")))
        .collect();
    let client = Client::connect(broker.client_config("writer", MqttVersion::V5))
        .await
        .unwrap();
    let mut replicas = start_in_turn(&client, &ids, |k| {
        start_replica(&logs, &ids[k], &port, dir.path(), &db.url)
    })
    .await;
    read_your_writes(&client).await;

    let started = Instant::now();
    let user = client_id("replica-fault-user");
    let stream = Stream::start(&client, &user, WRITES, CONCURRENCY, ATTEMPT, RETRIES);
    stream
        .acked_reaches(FAULT_AFTER, Duration::from_secs(60))
        .await;
    let killed_at = Instant::now();
    replicas[0].signal("KILL");
    block_in_place(|| replicas[0].wait_exit(10));
    wait_status(&client, &ids[0], "offline").await;
    replicas[0] = start_replica(&logs, &ids[0], &port, dir.path(), &db.url);
    wait_online(&client, &ids[0]).await;
    let restarted_after = killed_at.elapsed();
    let outcomes = stream.writer.await.unwrap();

    let stored = read_back(&client, &user, WRITES).await;
    let tally = Tally::of(&outcomes, &stored);
    let kill = AfterKill::of(&outcomes, killed_at);
    let mut per_replica = Vec::new();
    for id in &ids {
        per_replica.push(handled(&client, id).await);
    }
    let line = format!(
        "fault=replica-kill replicas={REPLICAS} writes={WRITES} acked={} \
         acked-lost={} applied-twice={} unacked-applied={} failures={:?} \
         caught-by-kill={} in-flight-answered-after={:.2?} \
         restarted-after={restarted_after:.2?} handled-per-replica={per_replica:?} \
         elapsed={:.1?}",
        Tally::acked(&outcomes),
        tally.acked_lost.len(),
        tally.applied_twice.len(),
        tally.unacked_applied,
        tally.failures,
        kill.caught,
        kill.caught_answered,
        started.elapsed(),
    );
    // Straight to stderr, past the harness's capture, so CI's log shows the figures.
    let _ = writeln!(std::io::stderr(), "{line}");
    tally.check(&outcomes, WRITES, &line, &logs);
    assert!(
        Tally::acked(&outcomes) > FAULT_AFTER,
        "the stream went on after the kill: {line}"
    );
    // The restarted replica's count starts again from 0; the others answered their share.
    assert!(
        per_replica[1..].iter().all(|&n| n > 0),
        "every live replica answered some of the stream: {line}"
    );
    client.shutdown().await;
}

/// Two replicas on Mosquitto, sharing one SQLite file on this machine: the requests are split
/// between them (each answers some), and each set is seen by the get after it. Skipped without
/// Mosquitto, unless `MODT_REQUIRE_MOSQUITTO=1`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_on_mosquitto_share_one_sqlite_file() {
    modt_testkit::init_tracing();
    let _turn = modt_testkit::heavy_test().await;
    let Some(broker) = TestBroker::mosquitto() else {
        println!("skipped: mosquitto is not installed");
        return;
    };
    let logs = Logs::default();
    let port = broker.port().to_string();
    let dir = tempfile::tempdir().unwrap();
    let file = format!("sqlite://{}", dir.path().join("shared.db").display());
    let ids = [client_id("state-a"), client_id("state-b")].to_vec();
    let client = Client::connect(broker.client_config("writer", MqttVersion::V5))
        .await
        .unwrap();
    let replicas = start_in_turn(&client, &ids, |k| {
        start_replica(&logs, &ids[k], &port, dir.path(), &file)
    })
    .await;
    read_your_writes(&client).await;
    let mut per_replica = Vec::new();
    for id in &ids {
        per_replica.push(handled(&client, id).await);
    }
    assert!(
        per_replica.iter().all(|&n| n > 0),
        "both replicas answered some of the 60 requests: {per_replica:?}"
    );
    drop(replicas);
    client.shutdown().await;
}

/// `modt up --replicas state=3` (SQLite, the enforced policy): the banner lists the replicas,
/// each is online under its own id and account, and a write acked by one is read by the
/// others. A unit that is not shareable is refused, naming those that are.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn modt_up_runs_replicas_in_one_process() {
    modt_testkit::init_tracing();
    let _turn = modt_testkit::heavy_test().await;
    let dir = tempfile::tempdir().unwrap();
    let (up, banner) = block_in_place(|| {
        support::up_with_web_args(dir.path(), &["--broker-port", "0", "--replicas", "state=3"])
    });
    for id in ["state", "state-2", "state-3"] {
        assert!(
            banner
                .iter()
                .any(|l| l.split_whitespace().nth(1) == Some(id)),
            "{id} in {banner:?}"
        );
    }
    let port: u16 = support::broker_port(&banner).parse().unwrap();
    let password = std::fs::read_to_string(dir.path().join("credentials/cli.password")).unwrap();
    let mut config = modt::ClientConfig::new("127.0.0.1", port, client_id("cli"));
    config.credentials = Some(modt::Credentials {
        username: "cli".into(),
        password: modt::Secret::new(password.trim()),
    });
    let client = Client::connect(config).await.unwrap();
    for id in ["state", "state-2", "state-3"] {
        wait_online(&client, id).await;
    }
    read_your_writes(&client).await;
    client.shutdown().await;
    drop(up);

    let out = support::run(&[
        "up",
        "--broker-port",
        "0",
        "--web-port",
        "0",
        "--data-dir",
        dir.path().to_str().unwrap(),
        "--replicas",
        "hub=2",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("not declared shareable") && err.contains("state"),
        "{err}"
    );
}
