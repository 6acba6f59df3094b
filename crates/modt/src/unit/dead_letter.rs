//! Sending refused payloads to `modt/dead-letter/{unit_id}` (docs/protocol.md §5).

use crate::protocol::{DeadLetter, ErrorCode};
use crate::{Client, Error, Message, Topic};

/// Publishes the record of a refused message (its payload cut to fit, never skipped).
pub(crate) async fn publish(
    client: &Client,
    topic: &Topic,
    unit_id: &str,
    msg: &Message,
    code: ErrorCode,
    reason: &str,
) -> Result<(), Error> {
    let record = DeadLetter::new(unit_id, &msg.topic, &msg.payload, code, reason);
    Ok(client.publish_json(topic, &record).await?)
}
