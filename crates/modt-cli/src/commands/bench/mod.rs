//! `modt bench`: measurements against a running broker (or an embedded one).
//!
//! - `rtt`: request/reply to the echo unit beside a bare broker echo.
//! - `state`: the state protocol: get round trips, pipelined and acknowledged set throughput.
//! - `stats`: percentiles and formatting.
//!
//! Shared here: starting an embedded broker on a free port, and the bare broker echo.

mod rtt;
mod state;
mod stats;

pub(crate) use rtt::rtt;
pub(crate) use state::state;

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use modt::env::BrokerArgs;
use modt::protocol::topics;
use modt::{Client, Outgoing, QoS, Subscription, Topic};
use modt_broker::{BrokerConfig, EmbeddedBroker, OpenPolicy};

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
    Ok(Some(b))
}

/// Stops an embedded broker off the async runtime.
pub(super) async fn stop_broker(broker: Option<EmbeddedBroker>) -> anyhow::Result<()> {
    if let Some(b) = broker {
        tokio::task::spawn_blocking(move || b.stop()).await?;
    }
    Ok(())
}

/// A unique suffix for benchmark unit ids and users.
pub(super) fn run_id() -> String {
    format!("{:08x}", uuid::Uuid::new_v4().as_u128() as u32)
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
        let t = Instant::now();
        client
            .publish(Outgoing::new(self.topic.clone(), payload))
            .await?;
        tokio::time::timeout(Duration::from_secs(5), self.sub.recv())
            .await
            .context("bare echo: no message within 5 s")?
            .context("bare echo: subscription closed")?;
        Ok(t.elapsed())
    }
}
