//! Starting and stopping the embedded broker.
//!
//! rmqtt spawns a task per connection on the current runtime and has no shutdown of its own,
//! so the broker gets a dedicated thread with its own Tokio runtime. Stopping drops that
//! runtime: every connection task ends and the listening socket closes.

use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use rmqtt::context::ServerContext;
use rmqtt::hook::Type;
use rmqtt::net::Builder;
use rmqtt::server::MqttServer;
use tokio::sync::oneshot;

use crate::config::BrokerConfig;
use crate::hooks::PolicyHook;
use crate::policy::AccessPolicy;

/// Why the broker could not start.
#[derive(Debug, thiserror::Error)]
pub enum BrokerError {
    /// The port is taken, most often by another broker.
    #[error(
        "cannot listen on {addr}: the address is already in use. Another broker may be running there: \
         use it (point units at it with --broker-host/--broker-port) or pick another port with --broker-port"
    )]
    AddrInUse {
        /// The address asked for.
        addr: SocketAddr,
    },
    /// Any other failure to listen.
    #[error("cannot listen on {addr}: {reason}")]
    Listen {
        /// The address asked for.
        addr: SocketAddr,
        /// Why.
        reason: String,
    },
    /// The broker's runtime or thread could not start.
    #[error("the embedded broker could not start: {0}")]
    Start(String),
    /// The cluster settings cannot be used.
    #[error(transparent)]
    Cluster(#[from] crate::cluster::ClusterError),
    /// The cluster port cannot be listened on.
    #[error("cannot listen on the cluster port {addr}: {reason}")]
    ClusterListen {
        /// This node's cluster address.
        addr: String,
        /// Why.
        reason: String,
    },
}

/// A running embedded broker. Stop it with [`stop`](Self::stop); dropping it stops it too.
#[derive(Debug)]
pub struct EmbeddedBroker {
    local_addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
    policy: String,
}

impl EmbeddedBroker {
    /// Starts the broker and returns once it listens.
    pub fn start(
        config: BrokerConfig,
        policy: Arc<dyn AccessPolicy>,
    ) -> Result<EmbeddedBroker, BrokerError> {
        let (ready_tx, ready_rx) =
            std::sync::mpsc::sync_channel::<Result<SocketAddr, BrokerError>>(1);
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let describe = policy.describe();
        let thread = std::thread::Builder::new()
            .name("modt-broker".into())
            .spawn(move || serve(config, policy, ready_tx, stop_rx))
            .map_err(|e| BrokerError::Start(e.to_string()))?;
        match ready_rx.recv() {
            Ok(Ok(local_addr)) => Ok(EmbeddedBroker {
                local_addr,
                stop: Some(stop_tx),
                thread: Some(thread),
                policy: describe,
            }),
            Ok(Err(e)) => {
                let _ = thread.join();
                Err(e)
            }
            Err(_) => {
                let _ = thread.join();
                Err(BrokerError::Start(
                    "the broker thread ended before listening".into(),
                ))
            }
        }
    }

    /// The address the broker listens on (with the real port when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The access policy in force, in words.
    pub fn policy(&self) -> &str {
        &self.policy
    }

    /// Stops the broker: closes the listener and every client connection, and waits for its
    /// thread. Blocking; call from `spawn_blocking` inside async code.
    pub fn stop(mut self) {
        self.stop_inner();
    }

    fn stop_inner(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for EmbeddedBroker {
    fn drop(&mut self) {
        self.stop_inner();
    }
}

fn serve(
    config: BrokerConfig,
    policy: Arc<dyn AccessPolicy>,
    ready: std::sync::mpsc::SyncSender<Result<SocketAddr, BrokerError>>,
    stop: oneshot::Receiver<()>,
) {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(config.worker_threads.max(1))
        .thread_name("modt-broker-rt")
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let _ = ready.send(Err(BrokerError::Start(e.to_string())));
            return;
        }
    };
    runtime.block_on(async move {
        let server = match build(&config, policy).await {
            Ok(s) => s,
            Err(e) => {
                let _ = ready.send(Err(e));
                return;
            }
        };
        let (server, addr) = server;
        if ready.send(Ok(addr)).is_err() {
            return;
        }
        tokio::select! {
            r = server.run() => if let Err(e) = r { tracing::error!(error = %e, "embedded broker failed") },
            _ = stop => {}
        }
    });
    // Ends every connection task; a task stuck in I/O is not waited on for long.
    runtime.shutdown_timeout(Duration::from_secs(1));
}

async fn build(
    config: &BrokerConfig,
    policy: Arc<dyn AccessPolicy>,
) -> Result<(MqttServer, SocketAddr), BrokerError> {
    let start = |e: rmqtt::Error| BrokerError::Start(e.to_string());
    let mut scx = ServerContext::new();
    if let Some(cluster) = &config.cluster {
        scx = scx
            .node_id(cluster.node())
            .plugins_config_map_add(CLUSTER_PLUGIN, cluster.plugin_toml())
            .circuit_breaker_config(circuit_breaker());
    }
    let scx = scx
        // Retained messages never expire by age (presence relies on them).
        .plugins_config_map_add(
            "rmqtt-retainer",
            "retained_message_ttl = \"0s\"\nmax_retained_messages = 0",
        )
        .plugins_config_map_add("rmqtt-shared-subscription", "strategy = \"round_robin\"")
        .build()
        .await;
    rmqtt_retainer::register(&scx, true, false)
        .await
        .map_err(start)?;
    rmqtt_shared_subscription::register(&scx, true, false)
        .await
        .map_err(start)?;
    if let Some(cluster) = &config.cluster {
        join_cluster(&scx, cluster).await?;
    }

    let register = scx.extends.hook_mgr().register();
    for typ in [
        Type::ClientAuthenticate,
        Type::ClientSubscribeCheckAcl,
        Type::MessagePublishCheckAcl,
    ] {
        register
            .add(
                typ,
                Box::new(PolicyHook {
                    policy: policy.clone(),
                }),
            )
            .await;
    }
    register.start().await;

    let addr = config.listen;
    let listener = Builder::new()
        .name("modt/tcp")
        .laddr(addr)
        .nodelay(true)
        .reuseaddr(Some(true))
        // rmqtt skips the auth hook for anonymous clients when this is true; the policy decides.
        .allow_anonymous(false)
        .max_packet_size(config.max_packet_size)
        .max_mqueue_len(config.max_queue_len)
        .max_inflight(
            std::num::NonZeroU16::new(config.max_inflight.max(1))
                .unwrap_or(std::num::NonZeroU16::MIN),
        )
        .message_expiry_interval(Duration::ZERO)
        .bind()
        .map_err(|e| listen_error(addr, e))?;
    let local = listener.local_addr().map_err(|e| listen_error(addr, e))?;
    let listener = listener.tcp().map_err(|e| listen_error(addr, e))?;
    let server = MqttServer::new(scx)
        .listener_by_id(listener, local.port())
        .build();
    Ok((server, local))
}

/// rmqtt's circuit breaker per peer, with a dead peer tried again after
/// [`PEER_RETRY`](crate::cluster::PEER_RETRY) instead of rmqtt's 30 s: a restarted node is
/// sent messages again (it rejoins) that soon after it is back.
fn circuit_breaker() -> rmqtt::context::CircuitBreakerConfig {
    rmqtt::context::CircuitBreakerConfig {
        wait_duration_in_open: crate::cluster::PEER_RETRY,
        minimum_number_of_calls: crate::cluster::PEER_FAILURES,
        ..Default::default()
    }
}

/// The name rmqtt knows the broadcast cluster plugin by (its settings' key).
const CLUSTER_PLUGIN: &str = "rmqtt-cluster-broadcast";

/// Opens this node's cluster port and starts the broadcast cluster plugin, which connects to
/// the other nodes' cluster ports (lazily: a node that is not up yet is reached later).
#[cfg(feature = "cluster")]
async fn join_cluster(
    scx: &ServerContext,
    cluster: &crate::cluster::ClusterConfig,
) -> Result<(), BrokerError> {
    let own = cluster.this_node().addr.clone();
    let listen_err = |reason: String| BrokerError::ClusterListen {
        addr: own.clone(),
        reason,
    };
    let addr = cluster
        .listen_addr()
        .map_err(|e| listen_err(e.to_string()))?;
    // rmqtt's gRPC server binds in a task of its own and only logs a failure: bind here
    // first, so a taken port stops the start with its address.
    drop(std::net::TcpListener::bind(addr).map_err(|e| listen_err(e.to_string()))?);
    scx.node.start_grpc_server(scx.clone(), addr, true, false);
    rmqtt_cluster_broadcast::register(scx, true, false)
        .await
        .map_err(|e| BrokerError::Start(format!("the cluster plugin: {e}")))?;
    tracing::info!(node = cluster.node(), cluster_addr = %addr, peers = cluster.peers().len(), "broker cluster node started");
    Ok(())
}

#[cfg(not(feature = "cluster"))]
async fn join_cluster(
    _scx: &ServerContext,
    _cluster: &crate::cluster::ClusterConfig,
) -> Result<(), BrokerError> {
    Err(crate::cluster::ClusterError::NotBuiltIn.into())
}

fn listen_error(addr: SocketAddr, e: rmqtt::Error) -> BrokerError {
    let in_use = e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::AddrInUse)
    });
    if in_use {
        BrokerError::AddrInUse { addr }
    } else {
        BrokerError::Listen {
            addr,
            reason: e.to_string(),
        }
    }
}
