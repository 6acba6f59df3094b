//! A 3-node cluster of `modt broker serve` processes on loopback (rmqtt's broadcast cluster
//! plugin, `modt_testkit::TestCluster`), with units and clients given every node's address
//! (`--broker a,b,c`) and failing over between them.
//!
//! - Across nodes: a request from a client on node 1 answered by a unit on node 2; a shared
//!   subscription with members on nodes 2 and 3 gets each message once (how they split is
//!   printed); retained presence is seen on every node.
//! - Node kill: node 2 is killed (SIGKILL); the unit on it fails over to another node and
//!   requests flow again (the time it took is printed); its retained status still reads
//!   `online`; node 2 restarts on its ports and rejoins (a client on it is answered).
//! - Combined: 3 state replicas (`modt unit state` processes, one per node first) on
//!   PostgreSQL under a stream of acked, retried writes; one replica is killed and restarted,
//!   then the broker node the writer and a replica use; everything is read back:
//!   `acked-lost` = 0 and `applied-twice` = 0 (counted as in `faults.rs`); printed after each
//!   kill: the time to the first ack (requests flow again) and until every write it caught
//!   was acked. Skipped with a reason without
//!   PostgreSQL, unless `MODT_REQUIRE_POSTGRES=1` (CI).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::io::Write as _;
use std::time::{Duration, Instant};

use modt::protocol::{presence_status, topics};
use modt::{Client, Outgoing, QoS, RequestOptions, TopicFilter};
use modt_testkit::{client_id, recv_within, wait_online, wait_until, TestCluster};
use serde_json::{json, Value};
use support::acked_writes::{failed_sent_from, read_back, AfterKill, Logs, Stream, Tally};
use support::replicas::start_in_turn;
use tokio::task::block_in_place;

/// Nodes of the test cluster.
const NODES: usize = 3;
/// How long the nodes may take to find each other.
const FORMED_WITHIN: Duration = Duration::from_secs(30);

fn start_cluster() -> TestCluster {
    block_in_place(|| TestCluster::start(env!("CARGO_BIN_EXE_modt"), NODES))
}

/// `modt unit NAME` as `unit_id`, connecting to node `first` of `cluster` and failing over to
/// the others.
fn spawn_unit(
    cluster: &TestCluster,
    first: usize,
    name: &str,
    unit_id: &str,
    dir: &std::path::Path,
    extra: &[&str],
) -> support::ModtProcess {
    let brokers = cluster.broker_flag(first);
    let mut args = vec!["--broker", brokers.as_str()];
    args.extend_from_slice(extra);
    // `--broker` replaces the port spawn_unit also gives.
    support::spawn_unit(name, unit_id, "1", dir, &args)
}

async fn echo_answers(client: &Client, n: u64, timeout: Duration) -> bool {
    client
        .request_json::<_, Value>(
            &topics::ECHO,
            &json!({ "n": n }),
            RequestOptions::new().timeout(timeout),
        )
        .await
        .is_ok_and(|r| r["n"] == n)
}

/// The first status message a new subscriber on `client` gets for `unit_id`: the retained one.
async fn retained_status(client: &Client, unit_id: &str) -> String {
    let topic = topics::unit_status(unit_id).unwrap();
    let mut sub = client
        .subscribe(&topic.to_filter(), QoS::AtLeastOnce)
        .await
        .unwrap();
    let m = recv_within(&mut sub, Duration::from_secs(10), "the retained status").await;
    String::from_utf8_lossy(&m.payload).into_owned()
}

/// Members of `$share/g/…` on nodes 2 and 3 get each of the messages published on node 1
/// exactly once between them (none lost, none twice).
async fn shared_subscription_spans_nodes(cluster: &TestCluster) {
    let topic = modt::Topic::new(format!("modt-test/{}/job", client_id("share"))).unwrap();
    let shared = TopicFilter::new(format!("$share/g/{topic}")).unwrap();
    let mut members = Vec::new();
    for node in [2, 3] {
        let mut cfg = cluster.client_config(node, "member");
        cfg.fallback_brokers.clear();
        let c = Client::connect(cfg).await.unwrap();
        let sub = c.subscribe(&shared, QoS::AtLeastOnce).await.unwrap();
        members.push((c, sub));
    }
    let publisher = Client::connect(cluster.client_config(1, "pub"))
        .await
        .unwrap();
    const JOBS: usize = 20;
    for i in 0..JOBS {
        publisher
            .publish(Outgoing::new(topic.clone(), i.to_string().into_bytes()).qos(QoS::AtLeastOnce))
            .await
            .unwrap();
    }
    let mut seen = vec![0usize; JOBS];
    let mut per_member = [0usize; 2];
    let deadline = Instant::now() + Duration::from_secs(20);
    while per_member.iter().sum::<usize>() < JOBS && Instant::now() < deadline {
        for (m, (_, sub)) in members.iter_mut().enumerate() {
            if let Ok(Some(msg)) = tokio::time::timeout(Duration::from_millis(50), sub.recv()).await
            {
                let i: usize = String::from_utf8_lossy(&msg.payload).parse().unwrap();
                seen[i] += 1;
                per_member[m] += 1;
            }
        }
    }
    // Anything more would be a duplicate: give it a moment to show.
    for (m, (_, sub)) in members.iter_mut().enumerate() {
        while let Ok(Some(msg)) = tokio::time::timeout(Duration::from_millis(300), sub.recv()).await
        {
            let i: usize = String::from_utf8_lossy(&msg.payload).parse().unwrap();
            seen[i] += 1;
            per_member[m] += 1;
        }
    }
    assert!(
        seen.iter().all(|&n| n == 1),
        "each shared message once: {seen:?}"
    );
    // Both members are on other nodes than the publisher: every message crossed nodes. How
    // they split depends on whether each node answered within PEER_TIMEOUT (round robin over
    // the members found); on a loaded machine one node can miss its share, so it is printed,
    // not asserted.
    println!(
        "cluster $share: {JOBS} messages from node 1, members on nodes 2 and 3 got {per_member:?}"
    );
    publisher.shutdown().await;
    for (c, _) in members {
        c.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_three_node_cluster_serves_across_nodes_and_survives_a_node_kill() {
    modt_testkit::init_tracing();
    let _turn = modt_testkit::heavy_test().await;
    let mut cluster = start_cluster();
    cluster.wait_formed(FORMED_WITHIN).await;
    let dir = tempfile::tempdir().unwrap();

    // The echo unit on node 2, a requester on node 1, a watcher on node 3.
    let unit_id = client_id("echo");
    let _unit = spawn_unit(&cluster, 2, "echo", &unit_id, dir.path(), &[]);
    let requester = Client::connect(cluster.client_config(1, "req"))
        .await
        .unwrap();
    let watcher = Client::connect(cluster.client_config(3, "watch"))
        .await
        .unwrap();
    wait_online(&requester, &unit_id).await;
    wait_online(&watcher, &unit_id).await;
    assert!(echo_answers(&requester, 1, Duration::from_secs(5)).await);

    shared_subscription_spans_nodes(&cluster).await;

    // Node 2 dies: the unit moves to another node and requests flow again.
    let killed_at = Instant::now();
    block_in_place(|| cluster.kill(2));
    let mut n = 2;
    wait_until(
        Duration::from_secs(30),
        "echo answered after node 2 was killed",
        || {
            n += 1;
            let requester = requester.clone();
            let n = n;
            async move { echo_answers(&requester, n, Duration::from_millis(500)).await }
        },
    )
    .await;
    let failover = killed_at.elapsed();
    let _ = writeln!(
        std::io::stderr(),
        "fault=broker-node-kill nodes={NODES} requests-flow-again-after={failover:.2?}"
    );
    // The unit re-announced itself on its new node; the dead node never sent its will.
    assert_eq!(
        retained_status(&watcher, &unit_id).await,
        presence_status::ONLINE
    );

    // Node 2 comes back on its ports and rejoins: a client on it reaches the unit.
    block_in_place(|| cluster.restart(2));
    cluster.wait_formed(FORMED_WITHIN).await;
    let mut on_two = cluster.client_config(2, "back");
    on_two.fallback_brokers.clear();
    let back = Client::connect(on_two).await.unwrap();
    assert_eq!(
        retained_status(&back, &unit_id).await,
        presence_status::ONLINE
    );
    assert!(echo_answers(&back, 100, Duration::from_secs(5)).await);

    back.shutdown().await;
    watcher.shutdown().await;
    requester.shutdown().await;
}

/// State replicas started, one per node first.
const REPLICAS: usize = 3;
/// Writes in the stream, each to its own key.
const WRITES: usize = 450;
/// Writes in flight at once.
const CONCURRENCY: usize = 24;
/// How long one attempt of a write waits for its ack before it is sent again.
const ATTEMPT: Duration = Duration::from_secs(2);
/// Retries of a write (the most `RequestOptions` allows): with the pauses between them (backoff
/// to 2 s) a write is tried for about 57 s. The writes a node kill catches have been answered
/// 12.5–28.3 s after it in debug builds on a busy 2-core machine (the printed
/// `caught-acked-after`); 12 retries of 1 s (about 29 s) ran out once in CI.
const RETRIES: u32 = RequestOptions::MAX_RETRIES;

/// How long the stream may take to reach each step.
const STEP_WITHIN: Duration = Duration::from_secs(90);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_replicas_on_a_cluster_lose_and_repeat_nothing_when_a_replica_and_a_node_die() {
    modt_testkit::init_tracing();
    let _turn = modt_testkit::heavy_test().await;
    let Some(db) = modt_testkit::postgres::test_database().await else {
        println!("fault=cluster-combined skipped: no PostgreSQL");
        return;
    };
    let logs = Logs::default();
    let mut cluster = start_cluster();
    cluster.wait_formed(FORMED_WITHIN).await;
    let dir = tempfile::tempdir().unwrap();
    let ids: Vec<String> = (1..=REPLICAS)
        .map(|n| client_id(&format!("state-{n}")))
        .collect();
    let replica = |cluster: &TestCluster, k: usize| {
        let extra = ["--state-database-url", db.url.as_str(), "--log", "warn"];
        logs.drain(
            spawn_unit(cluster, k + 1, "state", &ids[k], dir.path(), &extra),
            &ids[k],
        )
    };
    // The writer uses node 2 first, like replica 2: the node killed later.
    let client = Client::connect(cluster.client_config(2, "writer"))
        .await
        .unwrap();
    let mut replicas = start_in_turn(&client, &ids, |k| replica(&cluster, k)).await;

    let started = Instant::now();
    let user = client_id("cluster-fault-user");
    let stream = Stream::start(&client, &user, WRITES, CONCURRENCY, ATTEMPT, RETRIES);

    // A replica dies (SIGKILL) and starts again.
    stream.acked_reaches(WRITES / 4, STEP_WITHIN).await;
    let replica_killed_at = Instant::now();
    replicas[0].signal("KILL");
    block_in_place(|| replicas[0].wait_exit(10));
    replicas[0] = replica(&cluster, 0);
    wait_online(&client, &ids[0]).await;

    // Then the broker node of the writer and of replica 2 dies, and starts again.
    stream.acked_reaches(WRITES / 2, STEP_WITHIN).await;
    let node_killed_at = Instant::now();
    block_in_place(|| cluster.kill(2));
    stream
        .acked_reaches(WRITES / 2 + CONCURRENCY, STEP_WITHIN)
        .await;
    block_in_place(|| cluster.restart(2));
    cluster.wait_formed(FORMED_WITHIN).await;
    let outcomes = stream.writer.await.unwrap();

    let stored = read_back(&client, &user, WRITES).await;
    let tally = Tally::of(&outcomes, &stored);
    let replica_kill = AfterKill::of(&outcomes, replica_killed_at);
    let node_kill = AfterKill::of(&outcomes, node_killed_at);
    let line = format!(
        "fault=cluster-combined nodes={NODES} replicas={REPLICAS} writes={WRITES} \
         acked={} acked-lost={} applied-twice={} unacked-applied={} failures={:?} \
         replica-kill:first-ack-after={:.2?},caught-acked-after={:.2?} \
         node-kill:first-ack-after={:.2?},caught-acked-after={:.2?} \
         failed-sent-from-node-kill={:?} elapsed={:.1?}",
        Tally::acked(&outcomes),
        tally.acked_lost.len(),
        tally.applied_twice.len(),
        tally.unacked_applied,
        tally.failures,
        replica_kill.first_ack,
        replica_kill.caught_answered,
        node_kill.first_ack,
        node_kill.caught_answered,
        failed_sent_from(&outcomes, node_killed_at),
        started.elapsed(),
    );
    let _ = writeln!(std::io::stderr(), "{line}");
    tally.check(&outcomes, WRITES, &line, &logs);
    assert!(
        node_kill.first_ack < Duration::MAX,
        "writes were acked after the node kill: {line}"
    );
    client.shutdown().await;
    drop(replicas);
}
