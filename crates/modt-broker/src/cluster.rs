//! The embedded broker as one node of a cluster: static membership (this node's id and every
//! node's cluster address), validated here and handed to rmqtt's broadcast cluster plugin
//! (`rmqtt-cluster-broadcast`, docs/broker-cluster.md says why that one).
//!
//! It owns the flags' grammar (`--cluster-node 1 --cluster-peers 1@127.0.0.1:5363,2@…`) and
//! the plugin's settings; it does no clustering of its own: nodes talk rmqtt's gRPC.

use std::collections::BTreeSet;
use std::fmt;
use std::net::{SocketAddr, ToSocketAddrs};
use std::str::FromStr;
use std::time::Duration;

/// Most nodes a cluster may name. The broadcast plugin sends every publish to every other
/// node, so its cost grows with the node count; rmqtt runs it at a handful of nodes.
pub const MAX_CLUSTER_NODES: usize = 16;

/// How long a node waits for a peer's gRPC answer (connect and send) before counting the
/// peer as unreachable for that message. rmqtt's default is 60 s; until the circuit breaker
/// stops trying a killed peer (10 calls, a quarter failed), every publish that waits for all
/// peers (the `$share` choice, a client's session take-over) waited that long, which held a
/// failed-over unit's session past its keep-alive. A living peer slower than this misses that
/// message's `$share` choice (docs/broker-cluster.md).
pub const PEER_TIMEOUT: Duration = Duration::from_secs(1);

/// How long a node stops sending to a peer that keeps failing (rmqtt's circuit breaker is
/// open) before trying it again; rmqtt's default is 30 s. A killed node restarted on its ports
/// is back in the cluster about this long after it listens again.
pub const PEER_RETRY: Duration = Duration::from_secs(3);

/// Calls to a peer that must have been made before its circuit breaker may open (a quarter
/// of them failed); rmqtt's default is 10. Until the breaker opens, a client connecting to a
/// node announces its id to the dead peer and waits rmqtt's fixed 15 s for the answer when no
/// other peer answers first (a 2-node cluster): longer than the client's connection timeout,
/// so a unit failing over to the last node standing kept retrying for about a minute.
pub const PEER_FAILURES: usize = 3;

/// Why a cluster setting is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClusterError {
    /// A peer is not `ID@HOST:PORT`.
    #[error("cluster peer {0:?} is not ID@HOST:PORT (e.g. 2@10.0.0.2:5363)")]
    BadPeer(String),
    /// Two peers share an id.
    #[error("cluster node id {0} is given twice in --cluster-peers")]
    DuplicateId(u64),
    /// Node ids start at 1 (rmqtt reads 0 as "no node").
    #[error("cluster node ids start at 1 (0 is rmqtt's \"no node\")")]
    ZeroId,
    /// This node is not among the peers.
    #[error("--cluster-node {0} is not in --cluster-peers: list every node, this one included")]
    SelfMissing(u64),
    /// A cluster of one node.
    #[error("a cluster needs at least two nodes in --cluster-peers")]
    TooFew,
    /// More nodes than [`MAX_CLUSTER_NODES`].
    #[error("at most {MAX_CLUSTER_NODES} cluster nodes (got {0})")]
    TooMany(usize),
    /// This binary was built without the `cluster` feature.
    #[error("this modt was built without the `cluster` feature of modt-broker: rebuild with default features to run a broker cluster")]
    NotBuiltIn,
}

/// One node of the cluster: its id and the address of its cluster (gRPC) port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterPeer {
    /// The node's id, unique in the cluster, from 1.
    pub id: u64,
    /// `host:port` of the node's cluster port (not its MQTT port).
    pub addr: String,
}

impl FromStr for ClusterPeer {
    type Err = ClusterError;

    /// Parses `ID@HOST:PORT`.
    fn from_str(s: &str) -> Result<Self, ClusterError> {
        let bad = || ClusterError::BadPeer(s.to_owned());
        let (id, addr) = s.trim().split_once('@').ok_or_else(bad)?;
        let id: u64 = id.parse().map_err(|_| bad())?;
        let (host, port) = addr.rsplit_once(':').ok_or_else(bad)?;
        if host.is_empty() || port.parse::<u16>().is_err() {
            return Err(bad());
        }
        if id == 0 {
            return Err(ClusterError::ZeroId);
        }
        Ok(ClusterPeer {
            id,
            addr: addr.to_owned(),
        })
    }
}

impl fmt::Display for ClusterPeer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.id, self.addr)
    }
}

/// This node's place in a cluster of embedded brokers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterConfig {
    node: u64,
    peers: Vec<ClusterPeer>,
}

impl ClusterConfig {
    /// Node `node` of a cluster of `peers` (every node, this one included). Checks that the
    /// ids are unique and from 1, that `node` is among them, and the node count.
    pub fn new(node: u64, peers: Vec<ClusterPeer>) -> Result<ClusterConfig, ClusterError> {
        if node == 0 {
            return Err(ClusterError::ZeroId);
        }
        let mut ids = BTreeSet::new();
        for p in &peers {
            if !ids.insert(p.id) {
                return Err(ClusterError::DuplicateId(p.id));
            }
        }
        if !ids.contains(&node) {
            return Err(ClusterError::SelfMissing(node));
        }
        if peers.len() < 2 {
            return Err(ClusterError::TooFew);
        }
        if peers.len() > MAX_CLUSTER_NODES {
            return Err(ClusterError::TooMany(peers.len()));
        }
        Ok(ClusterConfig { node, peers })
    }

    /// This node's id.
    pub fn node(&self) -> u64 {
        self.node
    }

    /// Every node of the cluster.
    pub fn peers(&self) -> &[ClusterPeer] {
        &self.peers
    }

    /// This node's own entry.
    pub fn this_node(&self) -> &ClusterPeer {
        // `new` checked that the node is among the peers.
        self.peers
            .iter()
            .find(|p| p.id == self.node)
            .unwrap_or(&self.peers[0])
    }

    /// The address this node's cluster port listens on: its own entry, resolved.
    pub fn listen_addr(&self) -> Result<SocketAddr, std::io::Error> {
        let own = &self.this_node().addr;
        own.to_socket_addrs()?.next().ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("{own} resolves to no address"),
            )
        })
    }

    /// The broadcast plugin's settings (`rmqtt-cluster-broadcast.toml`) for this cluster.
    pub fn plugin_toml(&self) -> String {
        let addrs: Vec<String> = self.peers.iter().map(|p| format!("\"{p}\"")).collect();
        format!(
            "node_grpc_addrs = [{}]\nnode_grpc_client_timeout = \"{}s\"\n",
            addrs.join(", "),
            PEER_TIMEOUT.as_secs()
        )
    }
}

/// Parses a comma-separated peer list (`1@a:5363,2@b:5363`).
pub fn parse_peers(list: &str) -> Result<Vec<ClusterPeer>, ClusterError> {
    list.split(',')
        .filter(|s| !s.trim().is_empty())
        .map(str::parse)
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn peers(s: &str) -> Vec<ClusterPeer> {
        parse_peers(s).unwrap()
    }

    #[test]
    fn peers_parse_and_print_back() {
        let p = peers("1@127.0.0.1:5363, 2@node-b:5364,3@[::1]:5365");
        assert_eq!(p.len(), 3);
        assert_eq!(p[1].id, 2);
        assert_eq!(p[1].addr, "node-b:5364");
        assert_eq!(p[2].to_string(), "3@[::1]:5365");
    }

    #[test]
    fn bad_peers_are_refused_by_name() {
        for bad in ["x@a:1", "1a:1", "1@a", "1@:5", "1@a:99999", "@a:1"] {
            assert_eq!(
                bad.parse::<ClusterPeer>(),
                Err(ClusterError::BadPeer(bad.into())),
                "{bad}"
            );
        }
        assert_eq!("0@a:1".parse::<ClusterPeer>(), Err(ClusterError::ZeroId));
    }

    #[test]
    fn membership_is_checked() {
        let two = peers("1@a:1,2@b:2");
        assert!(ClusterConfig::new(1, two.clone()).is_ok());
        assert_eq!(
            ClusterConfig::new(3, two.clone()),
            Err(ClusterError::SelfMissing(3))
        );
        assert_eq!(ClusterConfig::new(0, two), Err(ClusterError::ZeroId));
        assert_eq!(
            ClusterConfig::new(1, peers("1@a:1,1@b:2")),
            Err(ClusterError::DuplicateId(1))
        );
        assert_eq!(
            ClusterConfig::new(1, peers("1@a:1")),
            Err(ClusterError::TooFew)
        );
        let many: Vec<ClusterPeer> = (1..=MAX_CLUSTER_NODES as u64 + 1)
            .map(|i| ClusterPeer {
                id: i,
                addr: format!("h:{i}"),
            })
            .collect();
        assert_eq!(
            ClusterConfig::new(1, many[..MAX_CLUSTER_NODES].to_vec()).map(|c| c.peers().len()),
            Ok(MAX_CLUSTER_NODES)
        );
        assert_eq!(
            ClusterConfig::new(1, many),
            Err(ClusterError::TooMany(MAX_CLUSTER_NODES + 1))
        );
    }

    #[test]
    fn the_plugin_gets_every_node_and_the_peer_timeout() {
        let c = ClusterConfig::new(2, peers("1@127.0.0.1:5363,2@127.0.0.1:5364")).unwrap();
        assert_eq!(c.listen_addr().unwrap().port(), 5364);
        let toml = c.plugin_toml();
        assert!(
            toml.contains(r#"node_grpc_addrs = ["1@127.0.0.1:5363", "2@127.0.0.1:5364"]"#),
            "{toml}"
        );
        assert!(toml.contains("node_grpc_client_timeout = \"1s\""), "{toml}");
    }
}
