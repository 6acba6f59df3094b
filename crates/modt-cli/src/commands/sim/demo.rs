//! `modt up --demo-devices`: a small plant (2 sites × 2 gateways × 2 dataloggers) sending
//! to the embedded broker at [`DEMO_RATE`], [`DEMO_MALFORMED`] of its messages broken, as
//! the `devices` broker account (config/broker-policy.toml: it may only publish device
//! messages), until `modt up` stops. The ingest unit's demo connection reads them.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::Context as _;
use modt::{Client, Credentials, QoS, Secret};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::fleet::Shape;
use super::generator::{Generator, Plan};
use super::{send, Stop, DEFAULT_OVERSIZE};

/// The broker account the simulated devices log in with.
pub(crate) const ACCOUNT: &str = "devices";
/// Messages a second.
pub(crate) const DEMO_RATE: f64 = 2.0;
/// The share of broken messages.
pub(crate) const DEMO_MALFORMED: f64 = 0.05;

/// Connects the demo's devices to `broker` (as [`ACCOUNT`], with its password from
/// `passwords` when the broker wants accounts) and sends until `stop`; the returned task is
/// the demo's owner (await it after `stop`).
pub(crate) async fn start_demo(
    broker: &modt::env::BrokerArgs,
    passwords: &BTreeMap<String, Secret>,
    stop: CancellationToken,
) -> anyhow::Result<JoinHandle<()>> {
    let mut config = broker.client_config(modt::ClientConfig::unique_client_id(ACCOUNT))?;
    if !passwords.is_empty() {
        let password = passwords.get(ACCOUNT).with_context(|| {
            format!("--demo-devices: the broker policy has no [accounts.{ACCOUNT}] (publish = [\"+/gateway/#\"])")
        })?;
        config.credentials = Some(Credentials {
            username: ACCOUNT.into(),
            password: password.clone(),
        });
    }
    let client = Client::connect(config)
        .await
        .context("--demo-devices: connecting the simulated devices")?;
    println!(
        "  devices  simulated: 2 sites, {DEMO_RATE} msg/s, {}% malformed (--demo-devices)",
        DEMO_MALFORMED * 100.0
    );
    Ok(tokio::spawn(async move {
        match run(&client, &stop).await {
            Ok(sent) => tracing::info!(sent, "the simulated devices stopped"),
            Err(e) => tracing::warn!(error = %e, "the simulated devices stopped"),
        }
        client.shutdown().await;
    }))
}

/// Sends until `stop`; returns how many messages went out.
async fn run(client: &Client, stop: &CancellationToken) -> anyhow::Result<u64> {
    let plan = Plan {
        shape: Shape {
            sites: 2,
            gateways: 2,
            dataloggers: 2,
        },
        malformed: DEMO_MALFORMED,
        status_every: 10,
        oversize: DEFAULT_OVERSIZE,
        day: Duration::from_secs(86_400),
        mark: false,
    };
    let mut generator = Generator::new(plan, fastrand::u64(..), chrono::Utc::now());
    let (counts, _) = send(
        client,
        &mut generator,
        DEMO_RATE,
        QoS::AtMostOnce,
        Stop::default(),
        stop,
    )
    .await?;
    Ok(counts.total())
}
