//! Test support shared by every integration test: start the embedded broker or a real
//! Mosquitto on an ephemeral port (and restart either on the same port), build client
//! configs, start units, and wait for conditions without sleeping blindly.
//!
//! - [`broker`] — [`TestBroker`].
//! - [`browser`] — whether Chromium is here, and running an `e2e/*.mjs` script.
//! - [`cluster`] — [`TestCluster`], a loopback cluster of `modt broker serve` nodes.
//! - [`heavy`] — [`heavy_test`], the turn that keeps many-process tests of a binary apart.
//! - [`unit`] — [`RunningUnit`], a unit started on the test's runtime.
//! - [`wait`] — [`wait_until`], [`recv_within`], [`wait_online`].
//! - [`legacy`] — [`LegacyStandIn`](legacy::LegacyStandIn), the original units' legacy answers.
//! - [`postgres`] — a throw-away PostgreSQL cluster, a fresh database per test.
//! - [`latency`] — [`median_round_trip`](latency::median_round_trip), for the tests that check
//!   no round trip waits on a delayed ACK.

// Test support fails by panicking: that is how a test reports a broken precondition.
#![allow(clippy::expect_used, clippy::unwrap_used)]

pub mod broker;
pub mod browser;
pub mod cluster;
pub mod heavy;
pub mod latency;
pub mod legacy;
pub mod postgres;
pub mod unit;
pub mod wait;

pub use broker::{BrokerKind, TestBroker};
pub use cluster::TestCluster;
pub use heavy::heavy_test;
pub use unit::RunningUnit;
pub use wait::{recv_within, wait_online, wait_status, wait_until};

use std::sync::Once;

/// Routes `tracing` output to the test harness (once per process). `RUST_LOG` filters it.
pub fn init_tracing() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let filter = tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,rmqtt=warn,rumqttc=warn"));
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_test_writer()
            .try_init();
    });
}

/// A unique client id for a test client.
pub fn client_id(prefix: &str) -> String {
    modt::ClientConfig::unique_client_id(prefix)
}
