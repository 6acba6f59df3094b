//! How a client reaches the broker: address (or the addresses of a broker cluster, tried in
//! turn), protocol version, credentials, TLS, timings.

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

/// Most broker addresses a client is given (the nodes of one cluster it fails over between).
pub const MAX_BROKER_ADDRESSES: usize = 16;

/// One broker address, `host:port` (`[v6 address]:port` for IPv6).
///
/// ```
/// use modt::BrokerAddress;
/// let a: BrokerAddress = "10.0.0.2:1883".parse().unwrap();
/// assert_eq!((a.host.as_str(), a.port), ("10.0.0.2", 1883));
/// assert_eq!("[::1]:1884".parse::<BrokerAddress>().unwrap().to_string(), "[::1]:1884");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerAddress {
    /// Host name or IP address (an IPv6 address without brackets).
    pub host: String,
    /// TCP port.
    pub port: u16,
}

impl BrokerAddress {
    /// The address `host:port`.
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        BrokerAddress {
            host: host.into(),
            port,
        }
    }

    /// Parses a comma-separated list (`a:1883,b:1883`), at most [`MAX_BROKER_ADDRESSES`].
    pub fn parse_list(list: &str) -> Result<Vec<BrokerAddress>, String> {
        let all: Vec<BrokerAddress> = list
            .split(',')
            .filter(|s| !s.trim().is_empty())
            .map(str::parse)
            .collect::<Result<_, _>>()?;
        if all.len() > MAX_BROKER_ADDRESSES {
            return Err(format!(
                "{} broker addresses: at most {MAX_BROKER_ADDRESSES}",
                all.len()
            ));
        }
        Ok(all)
    }
}

impl std::str::FromStr for BrokerAddress {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let bad = || format!("broker address {s:?} is not HOST:PORT (e.g. 10.0.0.2:1883)");
        let (host, port) = s.rsplit_once(':').ok_or_else(bad)?;
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        if host.is_empty() || host.contains(['/', ' ', ',']) {
            return Err(bad());
        }
        let port = port.parse().map_err(|_| bad())?;
        Ok(BrokerAddress::new(host, port))
    }
}

impl fmt::Display for BrokerAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

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
    /// More brokers of the same cluster (after `host:port`). When a connection attempt
    /// fails or an established connection is lost, the client moves on to the next address,
    /// round robin, with the usual reconnection backoff, and subscribes again there.
    pub fallback_brokers: Vec<BrokerAddress>,
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
            fallback_brokers: Vec::new(),
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

    /// Every broker address, `host:port` first, then [`fallback_brokers`](Self::fallback_brokers).
    pub fn brokers(&self) -> Vec<BrokerAddress> {
        std::iter::once(BrokerAddress::new(&self.host, self.port))
            .chain(self.fallback_brokers.iter().cloned())
            .collect()
    }

    /// Sets every broker address: the first becomes `host:port`, the rest
    /// [`fallback_brokers`](Self::fallback_brokers). An empty list changes nothing.
    ///
    /// ```
    /// use modt::{BrokerAddress, ClientConfig};
    /// let nodes = BrokerAddress::parse_list("10.0.0.1:1883,10.0.0.2:1883").unwrap();
    /// let cfg = ClientConfig::new("127.0.0.1", 1883, "c1").with_brokers(nodes);
    /// assert_eq!(cfg.host, "10.0.0.1");
    /// assert_eq!(cfg.brokers().len(), 2);
    /// ```
    pub fn with_brokers(mut self, brokers: Vec<BrokerAddress>) -> Self {
        let mut all = brokers.into_iter();
        if let Some(first) = all.next() {
            self.host = first.host;
            self.port = first.port;
            self.fallback_brokers = all.collect();
        }
        self
    }

    /// The broker addresses as people read them: `a:1883` or `a:1883, b:1883`.
    pub(crate) fn brokers_label(&self) -> String {
        self.brokers()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn broker_lists_parse_and_refuse_bad_entries() {
        let all = BrokerAddress::parse_list("a:1, b:2,,[::1]:3").unwrap();
        assert_eq!(
            all.iter().map(ToString::to_string).collect::<Vec<_>>(),
            ["a:1", "b:2", "[::1]:3"]
        );
        assert_eq!(all[2].host, "::1");
        for bad in ["a", "a:x", ":1", "a:70000", "a b:1", "mqtt://a:1"] {
            assert!(bad.parse::<BrokerAddress>().is_err(), "{bad}");
        }
        let many = vec!["h:1"; MAX_BROKER_ADDRESSES + 1].join(",");
        assert!(BrokerAddress::parse_list(&many).is_err());
        let most = vec!["h:1"; MAX_BROKER_ADDRESSES].join(",");
        assert_eq!(
            BrokerAddress::parse_list(&most).unwrap().len(),
            MAX_BROKER_ADDRESSES
        );
    }

    #[test]
    fn the_first_address_is_host_and_port_and_the_rest_fall_back() {
        let cfg = ClientConfig::new("x", 1, "c")
            .with_brokers(BrokerAddress::parse_list("a:1,b:2,c:3").unwrap());
        assert_eq!((cfg.host.as_str(), cfg.port), ("a", 1));
        assert_eq!(cfg.fallback_brokers.len(), 2);
        assert_eq!(cfg.brokers_label(), "a:1, b:2, c:3");
        let unchanged = ClientConfig::new("x", 1, "c").with_brokers(Vec::new());
        assert_eq!(unchanged.brokers_label(), "x:1");
    }
}
