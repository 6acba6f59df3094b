//! `modt bench`: measurements against a running broker (or an embedded one).
//!
//! - `rtt`: request/reply to the echo unit beside a bare broker echo.
//! - `gateway`: HTTP calls through the gateway to the todo unit beside direct MQTT requests.
//! - `ingest`: the ingest unit's throughput from an external broker, latency to the live
//!   update, and memory under overload.
//! - `state`: the state protocol: get round trips, pipelined and acknowledged set throughput.
//! - `state_replicas`: acked sets with 1…N state replicas on PostgreSQL, and fail-over.
//! - `footprint`: memory and threads of each process at rest, after a load, and binary size.
//! - `stats`: percentiles and formatting.
//! - `broker_probe`: which broker was measured, and whether it runs Nagle's algorithm.
//!
//! Shared here: starting an embedded broker on a free port, the bare broker echo (one trip
//! through the broker) and the bare relay (two trips, through a second plain client).

mod broker_probe;
mod footprint;
mod gateway;
mod ingest;
mod rtt;
mod state;
mod state_replicas;
mod stats;

pub(crate) use footprint::{footprint, parse_unit_binary};
pub(crate) use gateway::{gateway, GatewayBenchArgs};
pub(crate) use ingest::{ingest, IngestBenchArgs};
pub(crate) use rtt::rtt;
pub(crate) use state::state;

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use modt::env::BrokerArgs;

use crate::cli::ClientArgs;
use modt::protocol::topics;
use modt::{Client, Outgoing, QoS, Subscription, Topic};
use modt_broker::{BrokerConfig, EmbeddedBroker, OpenPolicy};
use tokio_util::sync::CancellationToken;

/// Starts an embedded broker on a free port and points `broker` at it, when asked.
pub(super) fn embedded_broker(
    embedded: bool,
    broker: &mut BrokerArgs,
) -> anyhow::Result<Option<EmbeddedBroker>> {
    if !embedded {
        return Ok(None);
    }
    let b = EmbeddedBroker::start(
        BrokerConfig::listen(([127, 0, 0, 1], 0).into()),
        Arc::new(OpenPolicy),
    )?;
    broker.host = "127.0.0.1".into();
    broker.port = b.local_addr().port();
    // `--broker` would replace host and port (`BrokerArgs::client_config`).
    broker.brokers.clear();
    Ok(Some(b))
}

/// The broker addresses a benchmark's clients connect to, as its header names them: the
/// `--broker` list when given (it replaces `--broker-host`/`--broker-port`), else host:port.
pub(super) fn broker_label(broker: &BrokerArgs) -> String {
    if broker.brokers.is_empty() {
        return modt::BrokerAddress::new(&broker.host, broker.port).to_string();
    }
    let all: Vec<String> = broker.brokers.iter().map(ToString::to_string).collect();
    all.join(", ")
}

/// Stops an embedded broker off the async runtime.
pub(super) async fn stop_broker(broker: Option<EmbeddedBroker>) -> anyhow::Result<()> {
    if let Some(b) = broker {
        tokio::task::spawn_blocking(move || b.stop()).await?;
    }
    Ok(())
}

/// A client that acknowledges the kernel's usual (delayed) way, as paho's clients do: what
/// the Nagle probe and `bench state --paho-style` measure with.
pub(super) async fn delayed_ack_client(
    broker: &ClientArgs,
    prefix: &str,
) -> anyhow::Result<Client> {
    let mut cfg = crate::commands::config_as(broker, crate::credentials::CLI_ACCOUNT, prefix)?;
    cfg.tcp_quickack = false;
    Ok(Client::connect(cfg).await?)
}

/// `exe unit NAME` as a bench runs a unit in its own process: on the broker at `broker_port`,
/// its data in `data_dir`, logging warnings only, with no stdin or stdout, killed when the
/// bench drops it. The caller adds the unit's own flags and spawns it.
pub(super) fn unit_command(
    exe: &std::path::Path,
    name: &str,
    broker_port: &str,
    data_dir: &std::path::Path,
) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(exe);
    command
        .args(["unit", name, "--broker-port", broker_port])
        .arg("--data-dir")
        .arg(data_dir)
        .env("MODT_LOG", "warn")
        .env_remove("MODT_WORKER_THREADS")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true);
    command
}

/// A unique suffix for benchmark unit ids and users.
pub(super) fn run_id() -> String {
    format!("{:08x}", uuid::Uuid::new_v4().as_u128() as u32)
}

/// Publishes `payload` to `to` and times it until the next message on `back`.
async fn trip(
    client: &Client,
    to: &Topic,
    back: &mut Subscription,
    payload: Vec<u8>,
    what: &str,
) -> anyhow::Result<Duration> {
    let t = Instant::now();
    client.publish(Outgoing::new(to.clone(), payload)).await?;
    tokio::time::timeout(Duration::from_secs(5), back.recv())
        .await
        .with_context(|| format!("{what}: nothing back within 5 s"))?
        .with_context(|| format!("{what}: subscription closed"))?;
    Ok(t.elapsed())
}

/// The floor: one QoS 1 trip through the broker, to a topic the client itself subscribes.
pub(super) struct BareEcho {
    topic: Topic,
    sub: Subscription,
}

impl BareEcho {
    pub(super) async fn new(client: &Client) -> anyhow::Result<BareEcho> {
        let topic = topics::bench_bare(client.client_id())?;
        let sub = client
            .subscribe(&topic.to_filter(), QoS::AtLeastOnce)
            .await?;
        Ok(BareEcho { topic, sub })
    }

    /// One round trip of `payload`.
    pub(super) async fn round_trip(
        &mut self,
        client: &Client,
        payload: Vec<u8>,
    ) -> anyhow::Result<Duration> {
        trip(client, &self.topic, &mut self.sub, payload, "bare echo").await
    }
}

/// A request/reply with nothing in between but the broker: the requester publishes to a plain
/// second client (no unit runtime, no decoding), which publishes the payload straight back.
/// Two trips through the broker, like any request to a unit.
pub(super) struct BareRelay {
    to_relay: Topic,
    replies: Subscription,
    stop: CancellationToken,
    task: tokio::task::JoinHandle<()>,
}

impl BareRelay {
    pub(super) async fn start(client: &Client, broker: &ClientArgs) -> anyhow::Result<BareRelay> {
        let relay = crate::commands::connect(broker, "modt-bench-relay").await?;
        let to_relay = topics::bench_bare(relay.client_id())?;
        let mut requests = relay
            .subscribe(&to_relay.to_filter(), QoS::AtLeastOnce)
            .await?;
        let back = topics::bench_relay(client.client_id())?;
        let replies = client
            .subscribe(&back.to_filter(), QoS::AtLeastOnce)
            .await?;
        let stop = CancellationToken::new();
        let token = stop.clone();
        let task = tokio::spawn(async move {
            loop {
                let msg = tokio::select! {
                    _ = token.cancelled() => break,
                    m = requests.recv() => match m { Some(m) => m, None => break },
                };
                if relay
                    .publish(Outgoing::new(back.clone(), msg.payload))
                    .await
                    .is_err()
                {
                    break;
                }
            }
            relay.shutdown().await;
        });
        Ok(BareRelay {
            to_relay,
            replies,
            stop,
            task,
        })
    }

    /// One request/reply of `payload` through the relay.
    pub(super) async fn round_trip(
        &mut self,
        client: &Client,
        payload: Vec<u8>,
    ) -> anyhow::Result<Duration> {
        trip(
            client,
            &self.to_relay,
            &mut self.replies,
            payload,
            "bare relay",
        )
        .await
    }

    /// Stops the relay client.
    pub(super) async fn stop(self) -> anyhow::Result<()> {
        self.stop.cancel();
        self.task.await.context("bare relay task")?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_names_the_broker_connected_to() {
        let mut broker = BrokerArgs::default();
        assert_eq!(broker_label(&broker), "127.0.0.1:1883");
        // `--broker 127.0.0.1:21883` replaces host and port; the header once said 1883.
        broker.brokers = vec!["127.0.0.1:21883".parse().unwrap()];
        assert_eq!(broker_label(&broker), "127.0.0.1:21883");
        let cfg = broker.client_config("t").unwrap();
        assert_eq!(cfg.brokers()[0].to_string(), broker_label(&broker));
        broker.brokers.push("[::1]:21884".parse().unwrap());
        assert_eq!(broker_label(&broker), "127.0.0.1:21883, [::1]:21884");
    }

    #[test]
    fn an_embedded_broker_replaces_any_broker_given() {
        let mut broker = BrokerArgs {
            brokers: vec!["127.0.0.1:21883".parse().unwrap()],
            ..BrokerArgs::default()
        };
        let embedded = embedded_broker(true, &mut broker).unwrap().unwrap();
        let port = embedded.local_addr().port();
        embedded.stop();
        assert_eq!(broker_label(&broker), format!("127.0.0.1:{port}"));
        let cfg = broker.client_config("t").unwrap();
        assert_eq!((cfg.host.as_str(), cfg.port), ("127.0.0.1", port));
        assert!(cfg.fallback_brokers.is_empty());
    }
}
