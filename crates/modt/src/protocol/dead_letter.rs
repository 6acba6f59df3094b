//! The dead-letter record: what a unit could not handle, and why (docs/protocol.md §5).

use serde::{Deserialize, Serialize};

use super::Timestamp;

/// Published to `modt/dead-letter/{unit_id}` for every payload a unit refused.
///
/// Wire: `{"timestamp": "…", "unit_id": "echo", "topic": "modt/echo", "payload": "not json",
/// "reason": "payload is not JSON: expected value at line 1 column 1", "code": "bad_request"}`.
/// A payload that is not UTF-8 is carried in `payload_base64` instead of `payload`. Only the
/// first [`MAX_DEAD_LETTER_PAYLOAD`] bytes are copied (`truncated: true`, `payload_bytes` the
/// whole size), so the record always fits one MQTT packet: a refused payload always gets its
/// dead letter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeadLetter {
    /// When the unit refused the message.
    pub timestamp: Timestamp,
    /// The refusing unit.
    pub unit_id: String,
    /// The topic the message came on.
    pub topic: String,
    /// The raw payload, when it is UTF-8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
    /// The raw payload in base64, when it is not UTF-8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload_base64: Option<String>,
    /// Why it was refused.
    pub reason: String,
    /// The error code the requester was (or would have been) told.
    pub code: super::ErrorCode,
    /// The refused payload's whole size in bytes.
    #[serde(default)]
    pub payload_bytes: usize,
    /// Whether `payload`/`payload_base64` holds only the first [`MAX_DEAD_LETTER_PAYLOAD`]
    /// bytes of it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
}

/// The most of a refused payload a dead letter copies: 32 KiB. Even as JSON escapes of
/// control characters (6 bytes each) that is 192 KiB, so the record stays within what the SDK
/// decodes ([`MAX_PAYLOAD_BYTES`](super::MAX_PAYLOAD_BYTES)) and far within the 1 MiB packet.
pub const MAX_DEAD_LETTER_PAYLOAD: usize = 32 * 1024;

/// The most of the topic a dead letter copies (cut at a character): 1 KiB. Topics may be
/// 64 KiB long, and a unit with a wildcard filter receives whatever a client names.
pub const MAX_DEAD_LETTER_TOPIC: usize = 1024;

impl DeadLetter {
    /// The record of `payload`, refused by `unit_id` on `topic` with `code` because of `reason`.
    pub fn new(
        unit_id: &str,
        topic: &str,
        payload: &[u8],
        code: super::ErrorCode,
        reason: &str,
    ) -> DeadLetter {
        let truncated = payload.len() > MAX_DEAD_LETTER_PAYLOAD;
        let kept = &payload[..payload.len().min(MAX_DEAD_LETTER_PAYLOAD)];
        let (text, base64) = match std::str::from_utf8(kept) {
            Ok(s) => (Some(s.to_owned()), None),
            // Cut inside a character: keep the text up to it.
            Err(e) if truncated && e.error_len().is_none() => (
                Some(String::from_utf8_lossy(&kept[..e.valid_up_to()]).into_owned()),
                None,
            ),
            Err(_) => {
                use base64::Engine as _;
                (
                    None,
                    Some(base64::engine::general_purpose::STANDARD.encode(kept)),
                )
            }
        };
        DeadLetter {
            timestamp: Timestamp::now(),
            unit_id: unit_id.to_owned(),
            topic: topic[..topic.floor_char_boundary(MAX_DEAD_LETTER_TOPIC)].to_owned(),
            payload: text,
            payload_base64: base64,
            reason: reason.to_owned(),
            code,
            payload_bytes: payload.len(),
            truncated,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::ErrorCode;

    #[test]
    fn a_huge_payload_is_cut_to_fit_one_packet() {
        // 200 KB of \x01: valid UTF-8, but 6 bytes each as JSON (1.2 MB whole).
        let payload = vec![1u8; 200_000];
        let d = DeadLetter::new(
            "echo",
            "modt/echo",
            &payload,
            ErrorCode::BadRequest,
            "not JSON",
        );
        assert!(d.truncated);
        assert_eq!(d.payload_bytes, 200_000);
        assert_eq!(
            d.payload.as_ref().map(String::len),
            Some(MAX_DEAD_LETTER_PAYLOAD)
        );
        let encoded = crate::protocol::encode(&d).unwrap();
        assert!(
            encoded.len() < crate::protocol::MAX_PAYLOAD_BYTES,
            "{}",
            encoded.len()
        );
        // Whatever the topic: a long one is cut too.
        let topic = "\u{1}".repeat(60_000);
        let d = DeadLetter::new("hub", &topic, &payload, ErrorCode::BadRequest, "not JSON");
        assert_eq!(d.topic.len(), MAX_DEAD_LETTER_TOPIC);
        let encoded = crate::protocol::encode(&d).unwrap();
        assert!(
            encoded.len() < crate::protocol::MAX_PAYLOAD_BYTES,
            "{}",
            encoded.len()
        );
    }

    #[test]
    fn text_cut_inside_a_character_stays_text_and_small_payloads_are_whole() {
        let mut payload = vec![b'a'; MAX_DEAD_LETTER_PAYLOAD - 1];
        payload.extend_from_slice("日本".as_bytes());
        let d = DeadLetter::new("u", "t", &payload, ErrorCode::BadRequest, "r");
        assert_eq!(
            d.payload.as_ref().map(String::len),
            Some(MAX_DEAD_LETTER_PAYLOAD - 1)
        );
        assert!(d.payload_base64.is_none() && d.truncated);
        let d = DeadLetter::new("u", "t", &[0xff, 0xfe], ErrorCode::BadRequest, "r");
        assert_eq!(d.payload_base64.as_deref(), Some("//4="));
        assert!(!d.truncated && d.payload_bytes == 2);
        assert!(
            !String::from_utf8(crate::protocol::encode(&d).unwrap().to_vec())
                .unwrap()
                .contains("truncated")
        );
    }
}
