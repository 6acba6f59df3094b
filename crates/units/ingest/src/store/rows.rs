//! What the store keeps of a connection, what a batch carries, and the queries' inputs.

use modt::protocol::ingest::{Connection, ParseFailure, ParseFailureKind};

use crate::model::DeviceUpdate;

/// A connection as stored: what the wire shows, plus its sealed password.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredConnection {
    /// The connection as shown (`has_password` says whether `sealed_password` is set).
    pub connection: Connection,
    /// The password, sealed (`crate::secret`): never the password itself.
    pub sealed_password: Option<String>,
}

impl std::fmt::Debug for StoredConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredConnection")
            .field("connection", &self.connection)
            .field(
                "sealed_password",
                &self.sealed_password.as_ref().map(|_| "<sealed>"),
            )
            .finish()
    }
}

/// The counters of one topic over a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicDelta {
    /// The connection.
    pub connection_id: String,
    /// The topic.
    pub topic: String,
    /// The batch's first message of it.
    pub first_ms: i64,
    /// The batch's last.
    pub last_ms: i64,
    /// Messages received (parsed, failed, unparsed or shed).
    pub count: u64,
    /// Accepted by a parser.
    pub parsed: u64,
    /// Refused by a parser.
    pub failed: u64,
    /// The last payload's start.
    pub sample: String,
    /// The parser of its messages, if any.
    pub parser: Option<String>,
}

/// What the writer stores in one transaction.
#[derive(Debug, Clone, Default)]
pub struct Batch {
    /// Per-topic counters.
    pub topics: Vec<TopicDelta>,
    /// Changes of the device model, in arrival order.
    pub updates: Vec<DeviceUpdate>,
    /// Refused messages.
    pub failures: Vec<ParseFailure>,
    /// How many topics and devices the store may hold; new ones beyond are left out.
    pub limits: Limits,
}

/// The most discovered topics and devices the store records (`--ingest-max-topics`,
/// `--ingest-max-devices`). Rows already there are always updated; a new row beyond its
/// limit is left out and reported in [`Applied`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Discovered topics, all connections together.
    pub topics: u64,
    /// Devices: gateways, dataloggers and sensors together.
    pub devices: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            topics: super::MAX_TOPICS,
            devices: super::MAX_DEVICES,
        }
    }
}

/// A device the store left out: a gateway (`datalogger` and `sensor` empty), a datalogger
/// (`sensor` empty) or a sensor.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DeviceKey {
    /// Site id.
    pub site: String,
    /// Gateway id.
    pub gateway: String,
    /// Datalogger id, or empty.
    pub datalogger: String,
    /// Sensor id, or empty.
    pub sensor: String,
}

/// What a stored batch left out for the [`Limits`] (empty when under them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    /// New topics added to the discovered topics.
    pub topics_added: u64,
    /// New topics not recorded: the discovered topics were at their limit.
    pub topics_refused: u64,
    /// The messages of those topics (handled all the same: parsed, stored, dead-lettered).
    pub messages_unrecorded: u64,
    /// New devices added.
    pub devices_added: u64,
    /// New devices not added (their readings not stored): the device model was at its
    /// limit. A datalogger left out takes its sensors with it, a gateway its dataloggers.
    pub devices_refused: Vec<DeviceKey>,
}

impl Batch {
    /// Nothing to store.
    pub fn is_empty(&self) -> bool {
        self.topics.is_empty() && self.updates.is_empty() && self.failures.is_empty()
    }
}

/// Which discovered topics to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TopicQuery {
    /// Only this connection's.
    pub connection_id: Option<String>,
    /// Only topics containing this text.
    pub contains: Option<String>,
    /// Only those with (`Some(true)`) or without (`Some(false)`) a parser.
    pub parsed: Option<bool>,
    /// At most this many.
    pub limit: usize,
}

/// Which parse failures to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParseLogQuery {
    /// Only this connection's.
    pub connection_id: Option<String>,
    /// Only this parser's.
    pub parser: Option<String>,
    /// Only this kind.
    pub kind: Option<ParseFailureKind>,
    /// Only topics containing this text.
    pub topic_contains: Option<String>,
    /// At most this many.
    pub limit: usize,
}
