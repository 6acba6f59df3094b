//! Sending refused payloads to `modt/dead-letter/{unit_id}` (PROTOCOL.md §5).

use base64::Engine;

use crate::protocol::{DeadLetter, ErrorCode, Timestamp};
use crate::{Client, Error, Message, Topic};

/// Publishes the record of a refused message.
pub(crate) async fn publish(
    client: &Client,
    topic: &Topic,
    unit_id: &str,
    msg: &Message,
    code: ErrorCode,
    reason: &str,
) -> Result<(), Error> {
    let (payload, payload_base64) = match std::str::from_utf8(&msg.payload) {
        Ok(s) => (Some(s.to_owned()), None),
        Err(_) => (
            None,
            Some(base64::engine::general_purpose::STANDARD.encode(&msg.payload)),
        ),
    };
    let record = DeadLetter {
        timestamp: Timestamp::now(),
        unit_id: unit_id.to_owned(),
        topic: msg.topic.clone(),
        payload,
        payload_base64,
        reason: reason.to_owned(),
        code,
    };
    client.publish_json(topic, &record).await
}
