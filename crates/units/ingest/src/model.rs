//! What a parser makes of a message ([`DeviceUpdate`]) and what travels from the connections
//! to the writer ([`Received`]): the unit's own types between its parts.

use modt::protocol::ingest::ParseFailure;

/// One sensor value of a readings message.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    /// The sensor's id within its datalogger.
    pub sensor: String,
    /// What it measures.
    pub kind: String,
    /// The unit of the value (`""` when the message gives none).
    pub unit: String,
    /// The value (finite).
    pub value: f64,
}

/// A change to the device model, as a parser reads it from one message.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum DeviceUpdate {
    /// New readings of one datalogger.
    Readings {
        /// Site id.
        site: String,
        /// Gateway id.
        gateway: String,
        /// Datalogger id.
        datalogger: String,
        /// Its model, when the message says.
        model: Option<String>,
        /// Its firmware, when the message says.
        firmware: Option<String>,
        /// When the values were measured, milliseconds since the epoch.
        at_ms: i64,
        /// The values.
        readings: Vec<Reading>,
    },
    /// A gateway's status.
    GatewayStatus {
        /// Site id.
        site: String,
        /// Gateway id.
        gateway: String,
        /// Whether it says it is online.
        online: bool,
        /// Its signal strength, dBm.
        rssi: Option<i32>,
        /// When it sent it, milliseconds since the epoch.
        at_ms: i64,
    },
}

impl DeviceUpdate {
    /// The site the update belongs to.
    pub fn site(&self) -> &str {
        match self {
            DeviceUpdate::Readings { site, .. } | DeviceUpdate::GatewayStatus { site, .. } => site,
        }
    }
}

/// What became of one received message, on its way to the writer.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// No parser knows the topic: recorded in the discovered topics only.
    Unparsed,
    /// A parser accepted it.
    Parsed {
        /// The parser's id.
        parser: String,
        /// What it changes.
        updates: Vec<DeviceUpdate>,
    },
    /// A parser refused it (goes to the parse log and the dead letters).
    Failed {
        /// Why, with where.
        failure: Box<ParseFailure>,
        /// The payload's first `MAX_DEAD_LETTER_PAYLOAD` bytes, for the dead letter.
        payload: Vec<u8>,
        /// The payload's whole size in bytes.
        payload_bytes: usize,
    },
}

/// One message a connection received, parsed, for the writer.
#[derive(Debug, Clone)]
pub struct Received {
    /// The connection it came in on.
    pub connection_id: String,
    /// Its topic.
    pub topic: String,
    /// When it was received, milliseconds since the epoch.
    pub at_ms: i64,
    /// The start of its payload (≤ `MAX_SAMPLE_BYTES`).
    pub sample: String,
    /// What the parsers made of it.
    pub outcome: Outcome,
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// `ms` as the wire's timestamp: RFC 3339, UTC, milliseconds (`2026-11-30T19:40:00.123Z`).
pub fn timestamp(ms: i64) -> modt::protocol::Timestamp {
    let at = chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default();
    modt::protocol::Timestamp(at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
}

/// The milliseconds of a timestamp this unit wrote ([`timestamp`]); 0 when unreadable.
pub fn ms_of(t: &modt::protocol::Timestamp) -> i64 {
    chrono::DateTime::parse_from_rfc3339(&t.0)
        .map(|d| d.timestamp_millis())
        .unwrap_or_default()
}

/// The start of `payload`, at most `MAX_SAMPLE_BYTES`, cut at a character boundary (lossy
/// UTF-8).
pub fn sample(payload: &[u8]) -> String {
    use modt::protocol::ingest::MAX_SAMPLE_BYTES;
    let text = String::from_utf8_lossy(&payload[..payload.len().min(MAX_SAMPLE_BYTES + 4)]);
    if text.len() <= MAX_SAMPLE_BYTES {
        return text.into_owned();
    }
    let mut end = MAX_SAMPLE_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use modt::protocol::ingest::MAX_SAMPLE_BYTES;

    #[test]
    fn samples_are_bounded_at_a_character_boundary() {
        let long = "é".repeat(MAX_SAMPLE_BYTES);
        let s = sample(long.as_bytes());
        assert!(s.len() <= MAX_SAMPLE_BYTES);
        assert!(s.len() >= MAX_SAMPLE_BYTES - 1);
        assert_eq!(sample(b"{}"), "{}");
    }

    #[test]
    fn timestamps_are_rfc3339_utc_with_milliseconds() {
        assert_eq!(timestamp(1_764_531_600_123).0, "2025-11-30T19:40:00.123Z");
    }
}
