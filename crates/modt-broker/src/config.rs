//! The embedded broker's listener settings.

use std::net::SocketAddr;

/// Default listen address of the embedded broker.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:1883";

/// How the embedded broker listens and what it allows.
#[derive(Debug, Clone)]
pub struct BrokerConfig {
    /// Where to listen; port 0 picks a free port (see [`EmbeddedBroker::local_addr`](crate::EmbeddedBroker::local_addr)).
    pub listen: SocketAddr,
    /// Largest MQTT packet accepted, in bytes.
    pub max_packet_size: u32,
    /// Messages queued per client before the broker drops for that client.
    pub max_queue_len: usize,
    /// QoS 1/2 messages in flight per client.
    pub max_inflight: u16,
    /// Worker threads of the broker's own runtime.
    pub worker_threads: usize,
    /// This broker's place in a cluster of embedded brokers, if it is a node of one.
    pub cluster: Option<crate::cluster::ClusterConfig>,
}

impl Default for BrokerConfig {
    fn default() -> Self {
        BrokerConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 1883)),
            max_packet_size: 1024 * 1024,
            // rmqtt's default of 1000 stalls a pipelined run of 20k messages (shared/research).
            max_queue_len: 100_000,
            max_inflight: 256,
            worker_threads: 2,
            cluster: None,
        }
    }
}

impl BrokerConfig {
    /// The default config listening on `listen`.
    pub fn listen(listen: SocketAddr) -> Self {
        BrokerConfig {
            listen,
            ..Default::default()
        }
    }
}
