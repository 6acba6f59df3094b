//! Request/reply plumbing: what a responder needs to answer ([`RequestContext`]) and how
//! correlation fields are put into and read out of payloads.

use bytes::Bytes;
use serde_json::{Map, Value};

use super::message::{Message, QoS};
use super::transport::correlation_text;
use crate::protocol::{MAX_PAYLOAD_BYTES, MAX_REQUEST_ID_CHARS};
use crate::Topic;

/// Where and how to answer one request (docs/protocol.md §3).
///
/// Resolved from the MQTT 5 response-topic / correlation-data properties when present,
/// else from the payload's `reply_to` / `request_id` fields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestContext {
    /// The request's id, echoed in the reply.
    pub request_id: Option<String>,
    /// The private reply topic; `None` means "answer on the legacy topic".
    pub reply_to: Option<Topic>,
    /// Whether the correlation came as MQTT 5 properties (then the reply carries them too).
    pub via_properties: bool,
    /// A problem with the correlation fields, e.g. an over-long `request_id`.
    pub problem: Option<String>,
    /// The QoS to answer with: the request's own, at most 1. The original units answer at
    /// QoS 0, which is what their (paho) requesters send; a QoS 1 answer to a QoS 0 request
    /// only adds a PUBACK that a broker with Nagle on makes the next request wait behind.
    pub answer_qos: QoS,
}

impl RequestContext {
    /// Reads the correlation of `msg`. Never fails: a payload that is not JSON simply has none.
    pub fn from_message(msg: &Message) -> Self {
        // Reads only the two fields (no JSON tree is built): this runs for every message.
        let fields = || -> Probe {
            if msg.payload.len() > MAX_PAYLOAD_BYTES || !may_name_correlation(&msg.payload) {
                return Probe::default();
            }
            serde_json::from_slice(&msg.payload).unwrap_or_default()
        };
        let (request_id, reply_to, via_properties) = match &msg.response_topic {
            Some(rt) => {
                let id = correlation_text(&msg.correlation_data)
                    .or_else(|| fields().request_id.and_then(text));
                (id, Some(rt.clone()), true)
            }
            None => {
                let f = fields();
                (
                    f.request_id.and_then(text),
                    f.reply_to.and_then(text),
                    false,
                )
            }
        };
        let mut problem = None;
        let reply_to = match reply_to.map(Topic::new) {
            // Only private reply topics: a requester must not make a unit publish, under the
            // unit's own account, onto any other topic (its presence, auth/success, …).
            Some(Ok(t)) if crate::protocol::topics::is_reply_topic(t.as_str()) => Some(t),
            Some(Ok(t)) => {
                problem = Some(format!(
                    "reply_to {:?} is not a private reply topic (modt/reply/{{client_id}}/…)",
                    t.as_str()
                ));
                None
            }
            Some(Err(e)) => {
                problem = Some(format!("reply_to is not a valid topic: {e}"));
                None
            }
            None => None,
        };
        let request_id = match request_id {
            Some(id) if id.chars().count() > MAX_REQUEST_ID_CHARS => {
                problem = Some(format!(
                    "request_id is longer than {MAX_REQUEST_ID_CHARS} characters"
                ));
                Some(id.chars().take(MAX_REQUEST_ID_CHARS).collect())
            }
            other => other,
        };
        RequestContext {
            request_id,
            reply_to,
            via_properties,
            problem,
            answer_qos: msg.qos.min(QoS::AtLeastOnce),
        }
    }

    /// Whether the requester asked for a private reply.
    pub fn is_correlated(&self) -> bool {
        self.reply_to.is_some()
    }

    /// What makes this request the same request when it comes again: its reply topic and
    /// `request_id`, which an MQTT re-send after a reconnect (or the requester's own retry)
    /// carries unchanged. `None` for legacy requests, which have neither, and for malformed
    /// correlation. Units that must not apply a write twice remember it with the write
    /// (`docs/protocol.md`, "Retried requests").
    pub fn retry_key(&self) -> Option<String> {
        if self.problem.is_some() {
            return None;
        }
        let (reply_to, id) = (self.reply_to.as_ref()?, self.request_id.as_ref()?);
        Some(format!("{}\n{id}", reply_to.as_str()))
    }

    /// Correlation data to attach to the reply (MQTT 5).
    pub(crate) fn correlation_data(&self) -> Option<Bytes> {
        self.request_id
            .as_ref()
            .map(|id| Bytes::from(id.clone().into_bytes()))
    }
}

/// The correlation fields of a payload, whatever their JSON type (non-strings are ignored).
#[derive(Debug, Default, serde::Deserialize)]
struct Probe {
    #[serde(default)]
    request_id: Option<Value>,
    #[serde(default)]
    reply_to: Option<Value>,
}

fn text(v: Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s),
        _ => None,
    }
}

/// Sets `request_id` (and `reply_to`, when given) on a JSON object payload.
pub(crate) fn stamp(
    obj: &mut Map<String, Value>,
    request_id: Option<&str>,
    reply_to: Option<&str>,
) {
    if let Some(id) = request_id {
        obj.insert("request_id".into(), Value::String(id.to_owned()));
    }
    if let Some(rt) = reply_to {
        obj.insert("reply_to".into(), Value::String(rt.to_owned()));
    }
}

/// Whether a payload could hold `request_id` or `reply_to`: it names one of them, or it has a
/// `\u` escape (a key could be spelled with escapes). Most messages are legacy ones with
/// neither, and this byte search is much cheaper than parsing them twice.
fn may_name_correlation(payload: &[u8]) -> bool {
    use memchr::memmem;
    memmem::find(payload, b"request_id").is_some()
        || memmem::find(payload, b"reply_to").is_some()
        || memmem::find(payload, b"\\u").is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::QoS;

    fn msg(payload: &str, rt: Option<&str>, cd: Option<&str>) -> Message {
        Message {
            topic: "modt/echo".into(),
            payload: Bytes::from(payload.to_owned()),
            qos: QoS::AtLeastOnce,
            retain: false,
            response_topic: rt.map(str::to_owned),
            correlation_data: cd.map(|c| Bytes::from(c.to_owned())),
            user_properties: Vec::new(),
        }
    }

    #[test]
    fn properties_take_precedence_over_payload_fields() {
        let m = msg(
            r#"{"request_id":"p","reply_to":"modt/reply/a/p"}"#,
            Some("modt/reply/b/x"),
            Some("x"),
        );
        let ctx = RequestContext::from_message(&m);
        assert_eq!(ctx.request_id.as_deref(), Some("x"));
        assert_eq!(ctx.reply_to.unwrap().as_str(), "modt/reply/b/x");
        assert!(ctx.via_properties);
    }

    #[test]
    fn a_retry_key_needs_both_reply_topic_and_id() {
        let props = RequestContext::from_message(&msg("{}", Some("modt/reply/b/x"), Some("x")));
        assert_eq!(props.retry_key().as_deref(), Some("modt/reply/b/x\nx"));
        let fields = r#"{"request_id":"p","reply_to":"modt/reply/a/p"}"#;
        let fields = RequestContext::from_message(&msg(fields, None, None));
        assert_eq!(fields.retry_key().as_deref(), Some("modt/reply/a/p\np"));
        let no_id = r#"{"reply_to":"modt/reply/a/p"}"#;
        assert_eq!(
            RequestContext::from_message(&msg(no_id, None, None)).retry_key(),
            None
        );
        assert_eq!(
            RequestContext::from_message(&msg("{}", None, None)).retry_key(),
            None
        );
        let long = format!(
            r#"{{"request_id":"{}","reply_to":"modt/reply/a/p"}}"#,
            "x".repeat(200)
        );
        assert_eq!(
            RequestContext::from_message(&msg(&long, None, None)).retry_key(),
            None
        );
    }

    #[test]
    fn payload_fields_work_on_mqtt_311() {
        let ctx = RequestContext::from_message(&msg(
            r#"{"request_id":"p","reply_to":"modt/reply/a/p"}"#,
            None,
            None,
        ));
        assert_eq!(ctx.request_id.as_deref(), Some("p"));
        assert_eq!(ctx.reply_to.unwrap().as_str(), "modt/reply/a/p");
    }

    #[test]
    fn bad_correlation_is_reported_not_fatal() {
        let long = "x".repeat(MAX_REQUEST_ID_CHARS + 1);
        let ctx = RequestContext::from_message(&msg(
            &format!(r#"{{"request_id":"{long}","reply_to":"a/#"}}"#),
            None,
            None,
        ));
        assert!(ctx.reply_to.is_none());
        assert!(ctx.problem.is_some());
        assert_eq!(ctx.request_id.unwrap().len(), MAX_REQUEST_ID_CHARS);
        let none = RequestContext::from_message(&msg("not json", None, None));
        assert_eq!(none, RequestContext::default());
    }

    #[test]
    fn keys_spelled_with_escapes_are_still_found() {
        let ctx = RequestContext::from_message(&msg(
            r#"{"request\u005fid":"p","reply\u005fto":"modt/reply/a/p"}"#,
            None,
            None,
        ));
        assert_eq!(ctx.request_id.as_deref(), Some("p"));
        assert_eq!(ctx.reply_to.unwrap().as_str(), "modt/reply/a/p");
        let legacy = RequestContext::from_message(&msg(
            r#"{"user_id":"u","key":"k","value":{"request":"id"}}"#,
            None,
            None,
        ));
        assert_eq!(legacy, RequestContext::default());
    }
}
