//! The broker settings every unit and command shares, as flags and `MODT_*` environment
//! variables (`MODT_BROKER_HOST` and `MODT_BROKER_PORT` are the original's).

use std::path::PathBuf;

use crate::{ClientConfig, Error, MqttVersion, TlsConfig};

/// Where the broker is and how to log in. Flatten into a clap command with `#[command(flatten)]`.
#[derive(Debug, Clone, clap::Args)]
pub struct BrokerArgs {
    /// Broker host.
    #[arg(global = true, long = "broker-host", env = "MODT_BROKER_HOST", default_value = crate::client::config::DEFAULT_BROKER_HOST)]
    pub host: String,
    /// Broker port.
    #[arg(global = true, long = "broker-port", env = "MODT_BROKER_PORT", default_value_t = crate::client::config::DEFAULT_BROKER_PORT)]
    pub port: u16,
    /// Broker username.
    #[arg(global = true, long = "broker-username", env = "MODT_BROKER_USERNAME")]
    pub username: Option<String>,
    /// Broker password (prefer --broker-password-file; never put it in a URL).
    #[arg(
        global = true,
        long = "broker-password",
        env = "MODT_BROKER_PASSWORD",
        hide_env_values = true
    )]
    pub password: Option<String>,
    /// File holding the broker password (first line).
    #[arg(
        global = true,
        long = "broker-password-file",
        env = "MODT_BROKER_PASSWORD_FILE"
    )]
    pub password_file: Option<PathBuf>,
    /// Connect with TLS.
    #[arg(global = true, long = "broker-tls", env = "MODT_BROKER_TLS")]
    pub tls: bool,
    /// PEM file of CA certificates for TLS (default: the system's).
    #[arg(global = true, long = "broker-ca-file", env = "MODT_BROKER_CA_FILE")]
    pub ca_file: Option<PathBuf>,
    /// MQTT protocol version: 5 or 3.1.1.
    #[arg(
        global = true,
        long = "mqtt-version",
        env = "MODT_MQTT_VERSION",
        default_value = "5"
    )]
    pub mqtt_version: MqttVersion,
    /// Bytes of received messages held (queued or being handled) before reading from the
    /// broker pauses (`ClientConfig::max_held_bytes`).
    #[arg(global = true, long = "max-held-bytes", env = "MODT_MAX_HELD_BYTES", default_value_t = crate::client::held::DEFAULT_MAX_HELD_BYTES)]
    pub max_held_bytes: usize,
}

impl BrokerArgs {
    /// The client config these settings describe, for `client_id`.
    pub fn client_config(&self, client_id: impl Into<String>) -> Result<ClientConfig, Error> {
        let mut cfg =
            ClientConfig::new(&self.host, self.port, client_id).with_version(self.mqtt_version);
        cfg.max_held_bytes = self.max_held_bytes;
        let password = match (&self.password, &self.password_file) {
            (Some(_), Some(_)) => {
                return Err(Error::Config(
                    "give --broker-password (MODT_BROKER_PASSWORD) or --broker-password-file \
                     (MODT_BROKER_PASSWORD_FILE), not both"
                        .into(),
                ))
            }
            (Some(p), None) => Some(p.clone()),
            (None, Some(path)) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    Error::Config(format!(
                        "cannot read --broker-password-file {}: {e}",
                        path.display()
                    ))
                })?;
                Some(text.lines().next().unwrap_or_default().to_owned())
            }
            (None, None) => None,
        };
        match (&self.username, password) {
            (Some(u), Some(p)) => cfg = cfg.with_credentials(u, p),
            (Some(u), None) => cfg = cfg.with_credentials(u, ""),
            (None, Some(_)) => {
                return Err(Error::Config(
                    "a broker password was given without --broker-username (MODT_BROKER_USERNAME)"
                        .into(),
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

#[cfg(test)]
mod tests {
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
