//! The broker settings every unit and command shares, as flags and `MODT_*` environment
//! variables (`MODT_BROKER_HOST` and `MODT_BROKER_PORT` are the original's).
//!
//! [`BrokerArgs`] is a clap `Args` only with this crate's `cli` feature (off by default, so a
//! unit's library does not pull clap in); without it, it is a plain struct to fill by hand.

use std::path::PathBuf;

use crate::{ClientConfig, Error, MqttVersion, TlsConfig};

/// Where the broker is, how to log in, and the topic namespace. With the `cli` feature,
/// flatten it into a clap command with `#[command(flatten)]`.
#[derive(Debug, Clone)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
pub struct BrokerArgs {
    /// Broker host.
    #[cfg_attr(feature = "cli", arg(global = true, long = "broker-host", env = "MODT_BROKER_HOST", default_value = crate::client::config::DEFAULT_BROKER_HOST))]
    pub host: String,
    /// Broker port.
    #[cfg_attr(feature = "cli", arg(global = true, long = "broker-port", env = "MODT_BROKER_PORT", default_value_t = crate::client::config::DEFAULT_BROKER_PORT))]
    pub port: u16,
    /// Brokers as `host:port`, comma-separated or the flag repeated: the nodes of a broker
    /// cluster. The client connects to the first and, when a connection fails or is lost,
    /// moves on to the next. Given, it replaces --broker-host/--broker-port.
    #[cfg_attr(
        feature = "cli",
        arg(
            global = true,
            long = "broker",
            env = "MODT_BROKERS",
            value_name = "HOST:PORT",
            value_delimiter = ','
        )
    )]
    pub brokers: Vec<crate::BrokerAddress>,
    /// Broker username.
    #[cfg_attr(
        feature = "cli",
        arg(global = true, long = "broker-username", env = "MODT_BROKER_USERNAME")
    )]
    pub username: Option<String>,
    /// Broker password (prefer --broker-password-file; never put it in a URL).
    #[cfg_attr(
        feature = "cli",
        arg(
            global = true,
            long = "broker-password",
            env = "MODT_BROKER_PASSWORD",
            hide_env_values = true
        )
    )]
    pub password: Option<String>,
    /// File holding the broker password (first line).
    #[cfg_attr(
        feature = "cli",
        arg(
            global = true,
            long = "broker-password-file",
            env = "MODT_BROKER_PASSWORD_FILE"
        )
    )]
    pub password_file: Option<PathBuf>,
    /// Connect with TLS.
    #[cfg_attr(
        feature = "cli",
        arg(global = true, long = "broker-tls", env = "MODT_BROKER_TLS")
    )]
    pub tls: bool,
    /// PEM file of CA certificates for TLS (default: the system's).
    #[cfg_attr(
        feature = "cli",
        arg(global = true, long = "broker-ca-file", env = "MODT_BROKER_CA_FILE")
    )]
    pub ca_file: Option<PathBuf>,
    /// MQTT protocol version: 5 or 3.1.1.
    #[cfg_attr(
        feature = "cli",
        arg(
            global = true,
            long = "mqtt-version",
            env = "MODT_MQTT_VERSION",
            default_value = "5"
        )
    )]
    pub mqtt_version: MqttVersion,
    /// Bytes of received messages held (queued or being handled) before reading from the
    /// broker pauses (`ClientConfig::max_held_bytes`).
    #[cfg_attr(feature = "cli", arg(global = true, long = "max-held-bytes", env = "MODT_MAX_HELD_BYTES", default_value_t = crate::client::held::DEFAULT_MAX_HELD_BYTES))]
    pub max_held_bytes: usize,
    /// Topic namespace: the first level of every MoDT topic on the broker, in place of
    /// `modt`, so several systems or tenants can share one broker.
    #[cfg_attr(feature = "cli", arg(global = true, long = "namespace", env = "MODT_NAMESPACE", default_value = crate::protocol::namespace::CANONICAL_ROOT))]
    pub namespace: crate::protocol::Namespace,
}

impl Default for BrokerArgs {
    /// The flags' defaults: the local broker on 127.0.0.1:1883, MQTT 5, no login, namespace `modt`.
    fn default() -> Self {
        BrokerArgs {
            host: crate::client::config::DEFAULT_BROKER_HOST.to_owned(),
            port: crate::client::config::DEFAULT_BROKER_PORT,
            brokers: Vec::new(),
            username: None,
            password: None,
            password_file: None,
            tls: false,
            ca_file: None,
            mqtt_version: MqttVersion::V5,
            max_held_bytes: crate::client::held::DEFAULT_MAX_HELD_BYTES,
            namespace: crate::protocol::Namespace::default(),
        }
    }
}

impl BrokerArgs {
    /// The client config these settings describe, for `client_id`.
    ///
    /// ```
    /// let args = modt::env::BrokerArgs::default();
    /// let cfg = args.client_config("my-unit-1").unwrap();
    /// assert_eq!((cfg.port, cfg.namespace.as_str()), (1883, "modt"));
    /// ```
    pub fn client_config(&self, client_id: impl Into<String>) -> Result<ClientConfig, Error> {
        if self.brokers.len() > crate::client::config::MAX_BROKER_ADDRESSES {
            return Err(Error::config(
                format!(
                    "{} addresses in --broker (MODT_BROKERS): at most {}",
                    self.brokers.len(),
                    crate::client::config::MAX_BROKER_ADDRESSES
                ),
                None,
            ));
        }
        let mut cfg = ClientConfig::new(&self.host, self.port, client_id)
            .with_version(self.mqtt_version)
            .with_brokers(self.brokers.clone());
        cfg.max_held_bytes = self.max_held_bytes;
        cfg.namespace = self.namespace.clone();
        let password = match (&self.password, &self.password_file) {
            (Some(_), Some(_)) => {
                return Err(Error::config(
                    "give --broker-password (MODT_BROKER_PASSWORD) or --broker-password-file \
                     (MODT_BROKER_PASSWORD_FILE), not both",
                    None,
                ))
            }
            (Some(p), None) => Some(p.clone()),
            (None, Some(path)) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    Error::config(
                        format!("cannot read --broker-password-file {}: {e}", path.display()),
                        Some(e.into()),
                    )
                })?;
                Some(text.lines().next().unwrap_or_default().to_owned())
            }
            (None, None) => None,
        };
        match (&self.username, password) {
            (Some(u), Some(p)) => cfg = cfg.with_credentials(u, p),
            (Some(u), None) => cfg = cfg.with_credentials(u, ""),
            (None, Some(_)) => {
                return Err(Error::config(
                    "a broker password was given without --broker-username (MODT_BROKER_USERNAME)",
                    None,
                ))
            }
            (None, None) => {}
        }
        if self.tls || self.ca_file.is_some() {
            cfg.tls = Some(TlsConfig {
                ca_file: self.ca_file.clone(),
            });
        }
        Ok(cfg)
    }
}

#[cfg(all(test, feature = "cli"))]
mod tests {
    #![allow(clippy::unwrap_used)]

    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Cmd {
        #[command(flatten)]
        broker: BrokerArgs,
    }

    fn parse(args: &[&str]) -> BrokerArgs {
        Cmd::try_parse_from(std::iter::once("t").chain(args.iter().copied()))
            .unwrap()
            .broker
    }

    #[test]
    fn defaults_reach_the_local_broker_with_mqtt_5() {
        let cfg = parse(&[]).client_config("c1").unwrap();
        assert_eq!((cfg.host.as_str(), cfg.port), ("127.0.0.1", 1883));
        assert_eq!(cfg.version, MqttVersion::V5);
        assert!(cfg.credentials.is_none() && cfg.tls.is_none());
        assert!(cfg.namespace.is_default());
        let flags = format!("{:?}", parse(&[]));
        assert_eq!(flags, format!("{:?}", BrokerArgs::default()));
    }

    #[test]
    fn several_brokers_replace_host_and_port_in_order() {
        let cfg = parse(&[
            "--broker",
            "a:1,b:2",
            "--broker",
            "c:3",
            "--broker-port",
            "9",
        ])
        .client_config("c1")
        .unwrap();
        assert_eq!((cfg.host.as_str(), cfg.port), ("a", 1));
        assert_eq!(cfg.fallback_brokers.len(), 2);
        assert_eq!(cfg.fallback_brokers[1].to_string(), "c:3");
        assert!(Cmd::try_parse_from(["t", "--broker", "nohost"]).is_err());
        let many = vec!["h:1"; crate::client::config::MAX_BROKER_ADDRESSES + 1].join(",");
        let err = parse(&["--broker", &many]).client_config("c").unwrap_err();
        assert!(err.to_string().contains("--broker"), "{err}");
    }

    #[test]
    fn the_namespace_is_a_checked_flag() {
        let cfg = parse(&["--namespace", "tenant-a"])
            .client_config("c1")
            .unwrap();
        assert_eq!(cfg.namespace.as_str(), "tenant-a");
        for bad in ["a/b", "$SYS", "", "+"] {
            assert!(
                Cmd::try_parse_from(["t", "--namespace", bad]).is_err(),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn the_password_file_gives_its_first_line_and_never_shows_in_debug() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pw");
        std::fs::write(&file, "hunter2\nignored\n").unwrap();
        let cfg = parse(&[
            "--broker-username",
            "u",
            "--broker-password-file",
            file.to_str().unwrap(),
        ])
        .client_config("c1")
        .unwrap();
        let creds = cfg.credentials.clone().unwrap();
        assert_eq!(creds.password.expose(), "hunter2");
        assert!(!format!("{cfg:?}").contains("hunter2"));
    }

    #[test]
    fn contradictory_or_incomplete_credentials_are_refused_with_the_flag_named() {
        let err = parse(&[
            "--broker-password",
            "x",
            "--broker-password-file",
            "/nonexistent",
        ])
        .client_config("c")
        .unwrap_err();
        assert!(err.to_string().contains("not both"), "{err}");
        let err = parse(&["--broker-password", "x"])
            .client_config("c")
            .unwrap_err();
        assert!(err.to_string().contains("--broker-username"), "{err}");
        let err = parse(&[
            "--broker-username",
            "u",
            "--broker-password-file",
            "/nonexistent/pw",
        ])
        .client_config("c")
        .unwrap_err();
        assert!(err.to_string().contains("/nonexistent/pw"), "{err}");
    }

    #[test]
    fn a_ca_file_turns_tls_on_and_versions_parse() {
        let cfg = parse(&["--broker-ca-file", "/tmp/ca.pem", "--mqtt-version", "3.1.1"])
            .client_config("c")
            .unwrap();
        assert_eq!(
            cfg.tls.unwrap().ca_file.unwrap().to_str(),
            Some("/tmp/ca.pem")
        );
        assert_eq!(cfg.version, MqttVersion::V311);
        assert!(Cmd::try_parse_from(["t", "--mqtt-version", "4"]).is_err());
    }
}
