//! # modt-broker — the MQTT broker embedded in `modt`
//!
//! A wrapper around [rmqtt](https://crates.io/crates/rmqtt) (MQTT 3.1.1 + 5, retained
//! messages, last will, QoS 1/2, `$share` subscriptions) that starts on a given address,
//! reports the port it got, asks an [`AccessPolicy`] about every login, publish and subscribe,
//! and stops cleanly: all its tasks run on a runtime of its own, dropped at [`EmbeddedBroker::stop`].
//!
//! - [`config`]: [`BrokerConfig`], the listener's limits and address.
//! - [`cluster`]: [`ClusterConfig`], the broker as a node of a cluster (static membership,
//!   rmqtt's broadcast cluster plugin; the `cluster` feature, on by default).
//! - [`policy`]: [`AccessPolicy`], the auth/ACL seam, and [`OpenPolicy`] for local development.
//! - [`policy_file`]: the declarative policy (`config/broker-policy.toml`) and [`Enforced`],
//!   its enforcement: per-account passwords and topic ACLs.
//! - [`passwd`]: passwords in Mosquitto's `$7$` format, shared with an external Mosquitto.
//! - [`mosquitto`]: the policy as Mosquitto's `acl_file` and `mosquitto.conf`.
//! - `hooks`: the bridge from rmqtt's hook system to the policy.
//! - [`server`]: [`EmbeddedBroker`], start and stop.
//!
//! Feature `embedded` (default): the broker (rmqtt), `hooks` and [`server`]. Without it, the
//! policy, the password format and Mosquitto's configuration only.

pub mod cluster;
pub mod config;
#[cfg(feature = "embedded")]
mod hooks;
pub mod mosquitto;
pub mod passwd;
pub mod policy;
pub mod policy_file;
#[cfg(feature = "embedded")]
pub mod server;

pub use cluster::{ClusterConfig, ClusterError, ClusterPeer};
pub use config::BrokerConfig;
pub use policy::{AccessPolicy, ClientIdentity, OpenPolicy};
pub use policy_file::{BrokerPolicy, Enforced, PolicyError};
#[cfg(feature = "embedded")]
pub use server::{BrokerError, EmbeddedBroker};
