//! [`Record`]: one observed message as the monitor keeps and shows it — masked, size-bounded,
//! and serialized once (every page gets the same bytes).
//!
//! A JSON payload is parsed, masked ([`crate::mask`]) and kept as JSON. Anything else is kept
//! as text (UTF-8, lossily). Either way, at most [`MAX_SHOWN_BYTES`] are kept; a longer one is
//! cut (at a character boundary) and marked `truncated`, with the full `size` beside it. A JSON
//! payload that is cut is kept as the text of its *masked* form, so a secret never survives.

use std::sync::Arc;

use chrono::{SecondsFormat, Utc};
use modt::Message;
use serde::Serialize;
use serde_json::Value;

/// Payload bytes kept and shown per message; the rest is cut.
pub const MAX_SHOWN_BYTES: usize = 64 * 1024;

/// A message as shown, before serialization.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct View {
    /// Sequence number since the monitor started (1, 2, …).
    pub seq: u64,
    /// When the monitor received it (RFC 3339, milliseconds, UTC).
    pub time: String,
    /// Its topic.
    pub topic: String,
    /// QoS it was delivered with (the publisher's: the monitor subscribes with QoS 2).
    pub qos: u8,
    /// Whether it came from the broker's retained store.
    pub retain: bool,
    /// Payload size in bytes, as published.
    pub size: usize,
    /// The masked payload, when it is JSON and fits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub json: Option<Value>,
    /// The payload as text, when it is not JSON or was cut.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Whether the payload was cut to [`MAX_SHOWN_BYTES`].
    pub truncated: bool,
    /// One line for the messages list, meaningful fields first ([`crate::preview`]); made
    /// from the masked payload.
    pub preview: String,
    /// How many secret fields were masked.
    pub masked: usize,
}

impl View {
    /// Describes `msg`, masking its secrets.
    pub fn of(msg: &Message, seq: u64) -> View {
        let size = msg.payload.len();
        let (json, text, truncated, masked) = match serde_json::from_slice::<Value>(&msg.payload) {
            Ok(mut value) => {
                let masked = crate::mask::mask(&mut value);
                let encoded = serde_json::to_string(&value).unwrap_or_default();
                if encoded.len() > MAX_SHOWN_BYTES {
                    (None, Some(cut(&encoded).to_string()), true, masked)
                } else {
                    (Some(value), None, false, masked)
                }
            }
            Err(_) => {
                let text = String::from_utf8_lossy(&msg.payload);
                let shown = cut(&text);
                (None, Some(shown.to_string()), shown.len() < text.len(), 0)
            }
        };
        let preview = crate::preview::of(json.as_ref(), text.as_deref());
        View {
            seq,
            time: Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true),
            topic: msg.topic.clone(),
            qos: msg.qos.level(),
            retain: msg.retain,
            size,
            json,
            text,
            truncated,
            preview,
            masked,
        }
    }

    /// The payload pretty-printed: indented JSON, or the text.
    pub fn pretty_payload(&self) -> String {
        match (&self.json, &self.text) {
            (Some(v), _) => serde_json::to_string_pretty(v).unwrap_or_default(),
            (None, Some(t)) => t.clone(),
            (None, None) => String::new(),
        }
    }
}

/// At most [`MAX_SHOWN_BYTES`] of `s`, ending at a character boundary.
fn cut(s: &str) -> &str {
    &s[..s.floor_char_boundary(MAX_SHOWN_BYTES)]
}

/// A message as kept in the buffer and sent to pages: its topic (for filters) and its
/// [`View`] serialized once.
#[derive(Debug, Clone)]
pub struct Record {
    /// Sequence number.
    pub seq: u64,
    /// Topic, for filtering.
    pub topic: String,
    /// The [`View`] as JSON.
    pub json: Arc<str>,
}

impl Record {
    /// Builds the record of `msg`.
    pub fn of(msg: &Message, seq: u64) -> Record {
        let view = View::of(msg, seq);
        let json = serde_json::to_string(&view).unwrap_or_else(|_| "{}".to_string());
        Record {
            seq,
            topic: view.topic,
            json: json.into(),
        }
    }

    /// Bytes this record holds (for the memory bound in the docs).
    pub fn weight(&self) -> usize {
        self.json.len() + self.topic.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use modt::QoS;

    fn msg(payload: &[u8]) -> Message {
        Message {
            topic: "a/b".into(),
            payload: payload.to_vec().into(),
            qos: QoS::ExactlyOnce,
            retain: true,
            response_topic: None,
            correlation_data: None,
            user_properties: Vec::new(),
        }
    }

    #[test]
    fn json_is_masked_and_flags_kept() {
        let v = View::of(&msg(br#"{"session_id":"s3cr3t","user_id":"u"}"#), 7);
        assert_eq!(v.seq, 7);
        assert_eq!((v.qos, v.retain, v.size, v.masked), (2, true, 37, 1));
        let out = serde_json::to_string(&v).unwrap();
        assert!(!out.contains("s3cr3t"), "{out}");
        assert!(out.contains("\"user_id\":\"u\""), "{out}");
        assert_eq!(v.preview, r#"{"user_id":"u","session_id":"••••••"}"#);
    }

    #[test]
    fn text_is_kept_lossily_and_untouched() {
        let v = View::of(&msg(b"session_id=abc \xff"), 1);
        assert_eq!(v.json, None);
        assert_eq!(v.text.as_deref(), Some("session_id=abc \u{fffd}"));
        assert!(!v.truncated);
        assert_eq!(v.size, 16);
    }

    #[test]
    fn long_payloads_are_cut_after_masking() {
        let big = format!(
            r#"{{"session_id":"s3cr3t","pad":"{}"}}"#,
            "é".repeat(MAX_SHOWN_BYTES)
        );
        let v = View::of(&msg(big.as_bytes()), 1);
        assert!(v.truncated);
        assert_eq!(v.size, big.len());
        let text = v.text.unwrap();
        assert!(text.len() <= MAX_SHOWN_BYTES);
        assert!(!text.contains("s3cr3t"));
        assert!(text.contains(crate::mask::MASK));
        assert!(!v.preview.contains("s3cr3t"), "{}", v.preview);

        let plain = "x".repeat(MAX_SHOWN_BYTES + 10);
        let v = View::of(&msg(plain.as_bytes()), 1);
        assert!(v.truncated);
        assert_eq!(v.text.unwrap().len(), MAX_SHOWN_BYTES);
    }
}
