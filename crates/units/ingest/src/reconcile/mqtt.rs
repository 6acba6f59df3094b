//! The MQTT client of one connection to an external broker (rumqttc, MQTT 3.1.1): its
//! options (a persistent session when a subscription is QoS 1, TLS with the system's roots),
//! and failures described in words without any secret.

use std::sync::Arc;
use std::time::Duration;

use modt::protocol::ingest::Connection;
use rumqttc::{ConnectReturnCode, ConnectionError, MqttOptions, Transport};

/// Keep-alive on external brokers.
pub const KEEP_ALIVE: Duration = Duration::from_secs(30);

/// Largest packet accepted from an external broker; larger payloads than a parser takes
/// (`MAX_PAYLOAD_BYTES`) still arrive, to be logged as `too_large`.
pub const MAX_INCOMING_PACKET: usize = 1024 * 1024;

/// Requests waiting for the connection's event loop: room for an acknowledgement of every
/// QoS 1 message that can be between the connection and its acknowledgement (the intake
/// queue; a batch being gathered, one being stored, the stored ones waiting for the announcer
/// and the one it announces; and some), so acknowledgements are never refused while the
/// connection lives (the channel grows only as far as it is used).
pub const CLIENT_QUEUE: usize = crate::pipeline::INGEST_QUEUE
    + (crate::pipeline::ANNOUNCE_QUEUE + 3) * crate::pipeline::MAX_BATCH
    + 64;

/// The client options of `c`, logging in with `password`.
pub fn options(c: &Connection, password: Option<&str>) -> Result<MqttOptions, String> {
    let mut o = MqttOptions::new(c.client_id.clone(), c.host.clone(), c.port);
    o.set_keep_alive(KEEP_ALIVE);
    // QoS 1 needs the broker to keep the session (and what it holds) while we are away.
    let persistent = c.subscriptions.iter().any(|s| s.qos >= 1);
    o.set_clean_session(!persistent);
    o.set_manual_acks(true);
    o.set_max_packet_size(MAX_INCOMING_PACKET, 64 * 1024);
    if let Some(user) = &c.username {
        o.set_credentials(user.clone(), password.unwrap_or_default().to_owned());
    }
    if c.tls {
        o.set_transport(tls()?);
    }
    Ok(o)
}

fn tls() -> Result<Transport, String> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_native_certs::load_native_certs().certs {
        // A malformed system certificate is skipped, as browsers do.
        let _ = roots.add(cert);
    }
    if roots.is_empty() {
        return Err("TLS is on but the system has no CA certificates".into());
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup failed: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Transport::tls_with_config(
        rumqttc::TlsConfiguration::Rustls(Arc::new(config)),
    ))
}

/// Why a connection failed, for people (never holds the password).
pub fn describe(e: &ConnectionError) -> String {
    match e {
        ConnectionError::ConnectionRefused(code) => {
            format!("refused by the broker: {}", refusal(*code))
        }
        ConnectionError::Io(e) => format!("network: {e}"),
        ConnectionError::NetworkTimeout => "network timeout".into(),
        ConnectionError::FlushTimeout => "network timeout while sending".into(),
        ConnectionError::Tls(e) => format!("TLS: {e}"),
        ConnectionError::MqttState(e) => format!("protocol: {e}"),
        other => other.to_string(),
    }
}

fn refusal(code: ConnectReturnCode) -> &'static str {
    match code {
        ConnectReturnCode::BadUserNamePassword => "bad user name or password",
        ConnectReturnCode::NotAuthorized => "not authorized",
        ConnectReturnCode::BadClientId => "client id rejected",
        ConnectReturnCode::ServiceUnavailable => "service unavailable",
        ConnectReturnCode::RefusedProtocolVersion => "protocol version refused",
        ConnectReturnCode::Success => "success",
    }
}
