//! How a client reaches the broker: address, protocol version, credentials, TLS, timings.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// Default broker host when `MODT_BROKER_HOST` is unset (the embedded broker of `modt up`).
pub const DEFAULT_BROKER_HOST: &str = "127.0.0.1";
/// Default broker port when `MODT_BROKER_PORT` is unset.
pub const DEFAULT_BROKER_PORT: u16 = 1883;
/// Largest MQTT packet the client sends or accepts: 1 MiB, well above the 256 KiB value limit.
pub const MAX_PACKET_BYTES: usize = 1024 * 1024;

/// Default number of QoS 1/2 publishes a client has sent and the broker has not yet
/// acknowledged ([`ClientConfig::max_inflight`], MQTT's in-flight window); past it, publishing
/// waits. rumqttc's own default (100) caps a pipelining client at 100 messages per broker
/// round trip, which under load is the limit.
pub const DEFAULT_MAX_UNACKED_PUBLISHES: u16 = 1024;

/// Which MQTT protocol version to speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MqttVersion {
    /// MQTT 3.1.1: correlation travels in the payload (`request_id`, `reply_to`).
    V311,
    /// MQTT 5: correlation also travels in the response-topic / correlation-data properties.
    #[default]
    V5,
}

impl std::str::FromStr for MqttVersion {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "3" | "3.1.1" | "311" | "v3" | "v311" => Ok(MqttVersion::V311),
            "5" | "5.0" | "v5" => Ok(MqttVersion::V5),
            other => Err(format!("unknown MQTT version {other:?}: use 3.1.1 or 5")),
        }
    }
}

/// A secret string (a password) that never shows in `Debug` or logs.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }
    /// The secret itself; call only where it is sent.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Username and password for the broker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The broker username.
    pub username: String,
    /// The broker password.
    pub password: Secret,
}

/// TLS to the broker.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsConfig {
    /// A PEM file of CA certificates to trust; without it, the system's roots are used.
    pub ca_file: Option<PathBuf>,
}

/// A message the broker publishes for the client if it vanishes (the MQTT last will).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastWill {
    /// Where the will goes.
    pub topic: crate::Topic,
    /// The will's payload.
    pub payload: Vec<u8>,
    /// Whether the broker retains it.
    pub retain: bool,
}

/// Everything a [`Client`](crate::Client) needs to connect.
///
/// ```
/// use modt::ClientConfig;
/// let cfg = ClientConfig::new("127.0.0.1", 1883, "my-unit-1");
/// assert_eq!(cfg.port, 1883);
/// ```
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Broker host name or address.
    pub host: String,
    /// Broker TCP port.
    pub port: u16,
    /// The MQTT client id; also the level of the client's reply topics, so it may not hold `/`, `+`, `#`.
    pub client_id: String,
    /// MQTT protocol version.
    pub version: MqttVersion,
    /// Broker credentials, if the broker requires them.
    pub credentials: Option<Credentials>,
    /// TLS, if the broker requires it.
    pub tls: Option<TlsConfig>,
    /// MQTT keep-alive interval.
    pub keep_alive: Duration,
    /// How long [`Client::connect`](crate::Client::connect) waits for the first connection.
    pub connect_timeout: Duration,
    /// Default timeout of [`Client::request`](crate::Client::request).
    pub request_timeout: Duration,
    /// First wait before reconnecting; doubled after each failure.
    pub reconnect_min: Duration,
    /// Longest wait between reconnection attempts.
    pub reconnect_max: Duration,
    /// Capacity of the outgoing request queue. When full, publishing waits.
    pub queue_capacity: usize,
    /// Most QoS 1/2 publishes sent but not yet acknowledged by the broker. MQTT 5 brokers
    /// may ask for fewer (their receive maximum), which then wins.
    pub max_inflight: u16,
    /// Capacity of each subscription's delivery queue. When full, the connection waits
    /// (back-pressure to the broker) rather than drop a message.
    pub subscription_capacity: usize,
    /// Most bytes of received messages held for subscribers (queued, or with a unit's
    /// handlers) before the client stops reading from the broker until half of them are
    /// done (see `client::held`). Bounds a unit's memory under any burst.
    pub max_held_bytes: usize,
    /// Whether the first connection keeps trying, until `connect_timeout`, while nothing
    /// listens at the address (default on: a unit started beside its broker waits for it).
    /// Off, [`Client::connect`](crate::Client::connect) fails at once with the address, as a
    /// command-line tool should.
    pub wait_for_broker: bool,
    /// The last will, if any.
    pub last_will: Option<LastWill>,
    /// The topic namespace: the first level of every MoDT topic on the wire (default `modt`).
    /// Code keeps using the canonical `modt/…` topics; the client maps them to and from this
    /// namespace, so systems in different namespaces can share a broker without seeing each
    /// other's traffic (see [`Namespace`](crate::protocol::Namespace)).
    pub namespace: crate::protocol::Namespace,
    /// Acknowledge received data at once (`TCP_QUICKACK`, Linux; default on). A broker
    /// that leaves Nagle's algorithm on (Mosquitto's default) otherwise holds its second
    /// small packet in a row to this client (a reply after a PUBACK) for the client's
    /// delayed ACK, about 40 ms. Off only to measure that stall (`modt bench rtt`).
    pub tcp_quickack: bool,
}

impl ClientConfig {
    /// A config with defaults for everything but the address and client id.
    pub fn new(host: impl Into<String>, port: u16, client_id: impl Into<String>) -> Self {
        ClientConfig {
            host: host.into(),
            port,
            client_id: client_id.into(),
            version: MqttVersion::default(),
            credentials: None,
            tls: None,
            keep_alive: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(5),
            reconnect_min: Duration::from_millis(100),
            reconnect_max: Duration::from_secs(5),
            queue_capacity: 1024,
            max_inflight: DEFAULT_MAX_UNACKED_PUBLISHES,
            subscription_capacity: 1024,
            max_held_bytes: super::held::DEFAULT_MAX_HELD_BYTES,
            wait_for_broker: true,
            last_will: None,
            namespace: crate::protocol::Namespace::default(),
            tcp_quickack: true,
        }
    }

    /// A unique client id for `prefix`: `{prefix}-{8 hex digits}`.
    pub fn unique_client_id(prefix: &str) -> String {
        format!("{prefix}-{:08x}", fastrand::u32(..))
    }

    /// Sets the protocol version.
    pub fn with_version(mut self, version: MqttVersion) -> Self {
        self.version = version;
        self
    }

    /// Sets the topic namespace ([`ClientConfig::namespace`]).
    ///
    /// ```
    /// use modt::{protocol::Namespace, ClientConfig};
    /// let cfg = ClientConfig::new("127.0.0.1", 1883, "c1")
    ///     .with_namespace(Namespace::new("tenant-a").unwrap());
    /// assert_eq!(cfg.namespace.as_str(), "tenant-a");
    /// ```
    pub fn with_namespace(mut self, namespace: crate::protocol::Namespace) -> Self {
        self.namespace = namespace;
        self
    }

    /// Sets credentials.
    pub fn with_credentials(
        mut self,
        username: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        self.credentials = Some(Credentials {
            username: username.into(),
            password: Secret::new(password),
        });
        self
    }
}
