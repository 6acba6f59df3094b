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
