//! A loopback cluster of embedded brokers for tests: N `modt broker serve --cluster-node`
//! processes on free ports, each killable (`kill -9`) and restartable on its ports.
//!
//! Processes, not in-process brokers: a test kills a node the way a machine dies, and each
//! process holds exactly one rmqtt node. The test passes the `modt` binary to run
//! (`env!("CARGO_BIN_EXE_modt")` in modt-cli's tests).

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use modt::{BrokerAddress, Client, ClientConfig, MqttVersion, Outgoing, QoS};

/// How long a node may take to listen after its process starts.
const START_TIMEOUT: Duration = Duration::from_secs(20);

/// One node: its id, ports and process (none while killed).
#[derive(Debug)]
struct Node {
    id: u64,
    mqtt: SocketAddr,
    cluster: SocketAddr,
    child: Option<Child>,
}

/// A cluster of `modt broker serve` processes on 127.0.0.1. Every node is killed on drop.
#[derive(Debug)]
pub struct TestCluster {
    modt: PathBuf,
    nodes: Vec<Node>,
    dir: tempfile::TempDir,
}

fn free_addr() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    l.local_addr().expect("local addr")
}

impl TestCluster {
    /// Starts `n` nodes (ids 1..=n) of `modt` (the binary's path), anonymous access, and
    /// waits until each listens. Use [`wait_formed`](Self::wait_formed) before relying on
    /// traffic between nodes.
    pub fn start(modt: impl AsRef<Path>, n: usize) -> TestCluster {
        assert!(n >= 2, "a cluster has at least two nodes");
        let nodes = (1..=n as u64)
            .map(|id| Node {
                id,
                mqtt: free_addr(),
                cluster: free_addr(),
                child: None,
            })
            .collect();
        let mut cluster = TestCluster {
            modt: modt.as_ref().to_owned(),
            nodes,
            dir: tempfile::tempdir().expect("temp dir"),
        };
        for i in 1..=n {
            cluster.spawn(i);
        }
        for i in 1..=n {
            cluster.wait_listening(i);
        }
        cluster
    }

    /// `--cluster-peers` as every node is given it.
    fn peers(&self) -> String {
        self.nodes
            .iter()
            .map(|n| format!("{}@{}", n.id, n.cluster))
            .collect::<Vec<_>>()
            .join(",")
    }

    fn node(&self, node: usize) -> &Node {
        &self.nodes[node - 1]
    }

    fn spawn(&mut self, node: usize) {
        let peers = self.peers();
        let log_path = self.log_path(node);
        let n = &mut self.nodes[node - 1];
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .expect("open the node's log");
        let child = Command::new(&self.modt)
            .args(["broker", "serve", "--allow-anonymous", "--listen"])
            .arg(n.mqtt.to_string())
            .arg("--cluster-node")
            .arg(n.id.to_string())
            .arg("--cluster-peers")
            .arg(&peers)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log file"))
            .stderr(log)
            .spawn()
            .expect("spawn modt broker serve");
        n.child = Some(child);
    }

    fn log_path(&self, node: usize) -> PathBuf {
        self.dir.path().join(format!("node-{node}.log"))
    }

    /// What node `node` printed so far (for a failing test's message).
    pub fn log(&self, node: usize) -> String {
        std::fs::read_to_string(self.log_path(node)).unwrap_or_default()
    }

    fn wait_listening(&mut self, node: usize) {
        let deadline = Instant::now() + START_TIMEOUT;
        let addr = self.node(node).mqtt;
        while Instant::now() < deadline {
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return;
            }
            let exited = self.nodes[node - 1]
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten());
            if let Some(status) = exited {
                panic!(
                    "cluster node {node} exited ({status}) before listening:\n{}",
                    self.log(node)
                );
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        panic!(
            "cluster node {node} did not listen on {addr} within {START_TIMEOUT:?}:\n{}",
            self.log(node)
        );
    }

    /// How many nodes the cluster has.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether the cluster has no node (never: it has at least two).
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Node `node`'s MQTT address (nodes count from 1).
    pub fn mqtt_addr(&self, node: usize) -> SocketAddr {
        self.node(node).mqtt
    }

    /// Every node's MQTT address, starting with `first`, then the others in order: the
    /// `--broker` list of a client that should connect to `first`.
    pub fn brokers_from(&self, first: usize) -> Vec<BrokerAddress> {
        let order = std::iter::once(first).chain((1..=self.len()).filter(|&i| i != first));
        order
            .map(|i| BrokerAddress::new("127.0.0.1", self.mqtt_addr(i).port()))
            .collect()
    }

    /// [`brokers_from`](Self::brokers_from) as a `--broker` / `MODT_BROKERS` value.
    pub fn broker_flag(&self, first: usize) -> String {
        self.brokers_from(first)
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(",")
    }

    /// A client config that connects to node `first` and fails over to the others, with a
    /// unique client id made from `prefix` and a quick reconnection.
    pub fn client_config(&self, first: usize, prefix: &str) -> ClientConfig {
        let mut cfg = ClientConfig::new("127.0.0.1", 0, crate::client_id(prefix))
            .with_version(MqttVersion::V5)
            .with_brokers(self.brokers_from(first));
        cfg.reconnect_max = Duration::from_millis(500);
        cfg
    }

    /// Kills node `node` with SIGKILL (its clients see their connections cut) and reaps it.
    pub fn kill(&mut self, node: usize) {
        if let Some(mut child) = self.nodes[node - 1].child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts node `node` again on its ports, once killed, and waits until it listens.
    pub fn restart(&mut self, node: usize) {
        self.kill(node);
        self.spawn(node);
        self.wait_listening(node);
    }

    /// Waits until a message published on each node reaches a subscriber on every other
    /// node: the nodes found each other. Panics after `timeout`.
    pub async fn wait_formed(&self, timeout: Duration) {
        let deadline = tokio::time::Instant::now() + timeout;
        let topic = modt::Topic::new(format!("modt-test/cluster/{}", crate::client_id("probe")))
            .expect("probe topic");
        let mut subs = Vec::new();
        let mut clients = Vec::new();
        for i in 1..=self.len() {
            let mut cfg = self.client_config(i, "probe");
            cfg.fallback_brokers.clear();
            let c = Client::connect(cfg).await.expect("connect a probe client");
            subs.push(
                c.subscribe(&topic.to_filter(), QoS::AtMostOnce)
                    .await
                    .expect("subscribe the probe"),
            );
            clients.push(c);
        }
        for (from, client) in clients.iter().enumerate() {
            for (to, sub) in subs.iter_mut().enumerate() {
                if from == to {
                    continue;
                }
                let label = format!("{from}->{to}");
                loop {
                    client
                        .publish(Outgoing::new(topic.clone(), label.clone().into_bytes()))
                        .await
                        .expect("publish the probe");
                    let got = tokio::time::timeout(Duration::from_millis(300), async {
                        while let Some(m) = sub.recv().await {
                            if m.payload.as_ref() == label.as_bytes() {
                                return true;
                            }
                        }
                        false
                    })
                    .await;
                    if got == Ok(true) {
                        break;
                    }
                    if tokio::time::Instant::now() >= deadline {
                        panic!(
                            "node {} does not reach node {} after {timeout:?}:\n{}\n{}",
                            from + 1,
                            to + 1,
                            self.log(from + 1),
                            self.log(to + 1)
                        );
                    }
                }
            }
        }
        for c in clients {
            c.shutdown().await;
        }
    }
}

impl Drop for TestCluster {
    fn drop(&mut self) {
        for i in 1..=self.nodes.len() {
            self.kill(i);
        }
    }
}
