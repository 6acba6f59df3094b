//! The ingest unit's payloads (docs/protocol.md, "The ingest unit"; docs/ingest.md for the
//! device messages it parses): connections to external brokers ([`Connection`], what creates
//! one ([`ConnectionDraft`]) and changes one ([`ConnectionPatch`]), their live
//! [`ConnectionStatus`] and log), the topics it has seen ([`DiscoveredTopic`]), the device
//! model built from valid messages ([`DeviceTree`], [`SensorHistory`]), the live
//! [`DeviceEvent`]s (in [`DeviceEvents`] messages), and what it could not parse ([`ParseFailure`], [`IngestDeadLetter`]).
//!
//! Requests reach the unit as [`ApiRequest`](super::ApiRequest)s on `modt/ingest/…`
//! (`topics::INGEST_*`), from the gateway (REST under `/ingest/…`) or the operator's CLI;
//! these types are their bodies and replies. The limits are the unit's rules, named here so
//! that clients can check before sending.

use serde::{Deserialize, Serialize};

use super::Timestamp;

/// Longest connection name, in characters.
pub const MAX_CONNECTION_NAME_CHARS: usize = 100;

/// Most topic subscriptions on one connection.
pub const MAX_SUBSCRIPTIONS: usize = 32;

/// Longest sample of a payload kept for a discovered topic or a parse failure, in bytes
/// (cut at a character boundary).
pub const MAX_SAMPLE_BYTES: usize = 512;

/// Most points of one sensor's recent values kept for its chart.
pub const MAX_HISTORY_POINTS: usize = 120;

/// Items on a page of a list when the request names no `limit`.
pub const DEFAULT_PAGE_SIZE: usize = 50;

/// Most items on one page of a list (`limit`).
pub const MAX_PAGE_SIZE: usize = 500;

/// One subscription of a connection: an MQTT topic filter on the external broker and the QoS
/// to subscribe with (0 or 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subscription {
    /// The topic filter, e.g. `+/gateway/#`.
    pub filter: String,
    /// 0 or 1. QoS 1 uses a persistent session (fixed client id, `clean_start = false`), so
    /// messages the external broker holds while the unit is down are delivered afterwards.
    #[serde(default)]
    pub qos: u8,
}

/// A configured connection to an external broker, as the unit shows it: the password is
/// never shown back, only whether one is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Connection {
    /// Its id, assigned by the unit.
    pub id: String,
    /// A name for people.
    pub name: String,
    /// The external broker's host.
    pub host: String,
    /// Its port.
    pub port: u16,
    /// Whether to connect with TLS.
    pub tls: bool,
    /// The user name, if the broker wants one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Whether a password is stored (the password itself is never shown).
    pub has_password: bool,
    /// The MQTT client id used on the external broker.
    pub client_id: String,
    /// What to subscribe to.
    pub subscriptions: Vec<Subscription>,
    /// Whether the unit should keep this connection up (the reconciler's desired state).
    pub is_active: bool,
    /// Starts at 1, grows by 1 per change (`ETag` / `If-Match`).
    pub version: u64,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

/// The body that creates a connection (`POST /ingest/connections`).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectionDraft {
    /// A name for people.
    pub name: String,
    /// The external broker's host.
    pub host: String,
    /// Its port (default 1883).
    #[serde(default = "default_port")]
    pub port: u16,
    /// Whether to connect with TLS.
    #[serde(default)]
    pub tls: bool,
    /// The user name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The password (stored, never shown back or logged: `Debug` hides it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// The MQTT client id; the unit makes one when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// What to subscribe to (at least one).
    pub subscriptions: Vec<Subscription>,
    /// Whether to start it now.
    #[serde(default = "default_true")]
    pub is_active: bool,
}

fn default_port() -> u16 {
    1883
}

fn default_true() -> bool {
    true
}

impl std::fmt::Debug for ConnectionDraft {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionDraft")
            .field("name", &self.name)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<hidden>"))
            .field("client_id", &self.client_id)
            .field("subscriptions", &self.subscriptions)
            .field("is_active", &self.is_active)
            .finish()
    }
}

/// The body of `PATCH /ingest/connections/{id}`: the fields to change; absent ones stay.
/// Starting and stopping a connection is a patch of `is_active`.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectionPatch {
    /// A new name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A new host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// A new port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// TLS on or off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<bool>,
    /// A new user name; `""` removes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// A new password; `""` removes it (never shown back or logged).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// A new client id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// New subscriptions (replace the old ones).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscriptions: Option<Vec<Subscription>>,
    /// Start (`true`) or stop (`false`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_active: Option<bool>,
}

impl std::fmt::Debug for ConnectionPatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionPatch")
            .field("name", &self.name)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<hidden>"))
            .field("client_id", &self.client_id)
            .field("subscriptions", &self.subscriptions)
            .field("is_active", &self.is_active)
            .finish()
    }
}

/// The connections, in name order (`GET /ingest/connections`), each with its live status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionList {
    /// The connections.
    pub items: Vec<ConnectionWithStatus>,
}

/// A connection and its live status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionWithStatus {
    /// The configuration.
    pub connection: Connection,
    /// What the reconciler last reported.
    pub status: ConnectionStatus,
}

/// Where a connection stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionState {
    /// Active, connecting (or waiting for its next attempt after a failure).
    Connecting,
    /// Active and connected, its subscriptions granted.
    Connected,
    /// Active, the last attempt failed (`reason` says why); retried with backoff.
    Failed,
    /// Not active: disconnected on purpose.
    Stopped,
}

/// A connection's live status, published retained on `modt/ingest/status/{connection_id}`
/// at every change and written to the connection log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionStatus {
    /// The connection.
    pub connection_id: String,
    /// Its state.
    pub state: ConnectionState,
    /// Why it failed (or why it stopped), in words; never holds a secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Failed attempts since the last success (0 when connected or stopped).
    #[serde(default)]
    pub attempt: u32,
    /// When it entered this state.
    pub since: Timestamp,
    /// When the next attempt is due, while failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<Timestamp>,
}

/// One line of a connection's log (`GET /ingest/connections/{id}/log`), newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionLog {
    /// The entries.
    pub items: Vec<ConnectionStatus>,
}

/// A topic the unit has received on a connection, parsed or not (`GET /ingest/topics`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscoveredTopic {
    /// The connection it came in on.
    pub connection_id: String,
    /// The topic.
    pub topic: String,
    /// First message.
    pub first_seen: Timestamp,
    /// Last message.
    pub last_seen: Timestamp,
    /// Messages received.
    pub count: u64,
    /// Messages a parser accepted.
    pub parsed: u64,
    /// Messages that failed to parse (each in the parse log and the dead letters).
    pub failed: u64,
    /// The start of the last payload (≤ [`MAX_SAMPLE_BYTES`], lossy UTF-8).
    pub sample: String,
    /// The parser its messages go to, or none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parser: Option<String>,
}

/// A page of discovered topics, most recently seen first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscoveredPage {
    /// The topics.
    pub items: Vec<DiscoveredTopic>,
}

/// Why a message was not parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ParseFailureKind {
    /// The payload is not JSON (or not UTF-8).
    NotJson,
    /// The payload is larger than the parser accepts.
    TooLarge,
    /// The JSON does not satisfy the parser's schema (`pointer` names where).
    Schema,
    /// The JSON satisfies the schema but a mapped field is missing or of the wrong type.
    Mapping,
    /// The topic does not have the levels the parser captures fields from.
    Topic,
    /// A custom (code) parser refused it.
    Custom,
}

/// A message a parser refused (`GET /ingest/parse-log`, newest first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParseFailure {
    /// When it was received.
    pub at: Timestamp,
    /// The connection it came in on.
    pub connection_id: String,
    /// Its topic.
    pub topic: String,
    /// The parser that refused it.
    pub parser: String,
    /// Why, as a kind.
    pub kind: ParseFailureKind,
    /// Where in the payload (a JSON pointer, `""` for the whole document).
    pub pointer: String,
    /// Why, in words.
    pub reason: String,
    /// The start of the payload (≤ [`MAX_SAMPLE_BYTES`], lossy UTF-8).
    pub excerpt: String,
}

/// A page of the parse log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParseLogPage {
    /// The failures, newest first.
    pub items: Vec<ParseFailure>,
}

/// What goes to the dead-letter topic `modt/ingest/dead/{connection_id}` for every message a
/// parser refused: the failure and the payload (its first
/// [`MAX_DEAD_LETTER_PAYLOAD`](super::MAX_DEAD_LETTER_PAYLOAD) bytes), so nothing is dropped
/// silently and the record always fits one MQTT packet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IngestDeadLetter {
    /// Why it was refused.
    pub failure: ParseFailure,
    /// The payload, base64 (standard alphabet, padded): all of it, or its first
    /// [`MAX_DEAD_LETTER_PAYLOAD`](super::MAX_DEAD_LETTER_PAYLOAD) bytes when `truncated`.
    pub payload_base64: String,
    /// The refused payload's whole size in bytes.
    #[serde(default)]
    pub payload_bytes: usize,
    /// Whether `payload_base64` holds only the start of the payload.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
}

/// One sensor's latest value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sensor {
    /// Its id within its datalogger.
    pub id: String,
    /// What it measures (`temperature`, `humidity`, …).
    pub kind: String,
    /// The unit of its values (`°C`, `%`, …).
    #[serde(default)]
    pub unit: String,
    /// The latest value.
    pub value: f64,
    /// When it was measured.
    pub at: Timestamp,
}

/// A datalogger and its sensors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Datalogger {
    /// Its id (serial) within its gateway.
    pub id: String,
    /// Its model, when the messages say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Its firmware, when the messages say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firmware: Option<String>,
    /// Last valid message.
    pub last_seen: Timestamp,
    /// Its sensors, by id.
    pub sensors: Vec<Sensor>,
}

/// A gateway and its dataloggers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gateway {
    /// Its id within its site (the `{n}` of `{site}/gateway/{n}/…`).
    pub id: String,
    /// Whether its last status message said it is online.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub online: Option<bool>,
    /// Signal strength from its last status message, dBm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rssi: Option<i32>,
    /// Last valid message.
    pub last_seen: Timestamp,
    /// Its dataloggers, by id.
    pub dataloggers: Vec<Datalogger>,
}

/// A site and its gateways.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Site {
    /// Its id (the `{site}` topic level).
    pub id: String,
    /// Its gateways, by id.
    pub gateways: Vec<Gateway>,
}

/// Every site, gateway, datalogger and sensor with latest values (`GET /ingest/devices`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceTree {
    /// The sites, by id.
    pub sites: Vec<Site>,
}

/// Names one sensor.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SensorKey {
    /// Site id.
    pub site: String,
    /// Gateway id.
    pub gateway: String,
    /// Datalogger id.
    pub datalogger: String,
    /// Sensor id.
    pub sensor: String,
}

/// One point of a sensor's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// When.
    pub at: Timestamp,
    /// The value.
    pub value: f64,
}

/// A sensor's recent values, oldest first, at most [`MAX_HISTORY_POINTS`]
/// (`GET /ingest/sensors/{site}/{gateway}/{datalogger}/{sensor}/history`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SensorHistory {
    /// Which sensor.
    pub key: SensorKey,
    /// Its unit.
    #[serde(default)]
    pub unit: String,
    /// The points.
    pub points: Vec<Point>,
}

/// The payload of `modt/ingest/devices/changed/{site}` (QoS 0, after the batch is stored): a
/// stored batch's changes of one site, in arrival order, a bounded number per message (the
/// unit's `MAX_EVENTS_PER_MESSAGE`; payloads on the bus are JSON objects, hence the wrapper).
///
/// Wire: `{"events":[DeviceEvent, …]}`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceEvents {
    /// The events, oldest first.
    pub events: Vec<DeviceEvent>,
}

/// One live change of the device model, for the devices pages; travels in [`DeviceEvents`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum DeviceEvent {
    /// New readings of one datalogger's sensors.
    Readings {
        /// Site id.
        site: String,
        /// Gateway id.
        gateway: String,
        /// The datalogger as it is now, with only the sensors this message changed.
        datalogger: Datalogger,
    },
    /// A gateway's status changed.
    Gateway {
        /// Site id.
        site: String,
        /// The gateway as it is now, without its dataloggers.
        gateway: Gateway,
    },
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_a_password() {
        let draft: ConnectionDraft = serde_json::from_str(
            r#"{"name":"plant","host":"h","username":"u","password":"s3cret",
                "subscriptions":[{"filter":"+/gateway/#","qos":1}]}"#,
        )
        .unwrap();
        assert_eq!(draft.port, 1883);
        assert!(draft.is_active);
        assert!(!format!("{draft:?}").contains("s3cret"));
        let patch = ConnectionPatch {
            password: Some("s3cret".into()),
            ..ConnectionPatch::default()
        };
        assert!(!format!("{patch:?}").contains("s3cret"));
    }

    #[test]
    fn unknown_fields_are_refused() {
        let r: Result<ConnectionPatch, _> = serde_json::from_str(r#"{"is_activ":true}"#);
        assert!(r.is_err());
    }

    #[test]
    fn device_events_are_tagged() {
        let e = DeviceEvent::Gateway {
            site: "s".into(),
            gateway: Gateway {
                id: "1".into(),
                online: Some(true),
                rssi: None,
                last_seen: Timestamp("2026-11-30T00:00:00".into()),
                dataloggers: vec![],
            },
        };
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["type"], "gateway");
        // On the bus they travel as an object (the codec takes only objects).
        let message = DeviceEvents { events: vec![e] };
        let v = serde_json::to_value(&message).unwrap();
        assert_eq!(v["events"][0]["type"], "gateway");
        assert_eq!(serde_json::from_value::<DeviceEvents>(v).unwrap(), message);
    }
}
