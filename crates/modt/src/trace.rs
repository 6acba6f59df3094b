//! Trace context: which request a handler works on, so its log lines and the requests it sends
//! onward can be tied together (docs/protocol.md §3, "Tracing").
//!
//! A request carries the W3C trace context (`traceparent`) and an end-to-end request id
//! (`x-request-id`) as MQTT 5 user properties ([`TRACEPARENT`], [`REQUEST_ID_HEADER`]). The
//! unit runtime reads them into a [`TraceContext`] for every message it handles, runs the
//! handler inside a `tracing` span with `request_id` and `trace_id`, and sets the context as
//! the handler task's *current* one ([`TraceContext::current`]); [`Client::request`] then
//! stamps every request the handler sends with a child `traceparent` (same trace id, a new span
//! id) and the same `x-request-id`, unless the request's own options set them.
//!
//! The context follows the handler's task, not tasks it spawns: carry it over with
//! [`TraceContext::scope`].
//!
//! Not here: exporting spans to a tracing backend (MoDT only logs the ids).
//!
//! [`Client::request`]: crate::Client::request

use std::future::Future;
use std::sync::Arc;

use crate::client::{Message, RequestContext};
pub use crate::protocol::api::{REQUEST_ID_HEADER, TRACEPARENT};
use crate::protocol::MAX_REQUEST_ID_CHARS;

/// Hex digits of a W3C trace id.
pub const TRACE_ID_HEX: usize = 32;
/// Hex digits of a W3C span (parent) id.
pub const SPAN_ID_HEX: usize = 16;
/// Characters of a version-00 `traceparent`: `00-{trace id}-{span id}-{flags}`.
pub const TRACEPARENT_CHARS: usize = 2 + 1 + TRACE_ID_HEX + 1 + SPAN_ID_HEX + 1 + 2;

tokio::task_local! {
    static CURRENT: TraceContext;
}

/// The trace a message belongs to: its W3C trace id and flags, and the request id that names
/// it in logs.
///
/// ```
/// use modt::trace::TraceContext;
/// let t = TraceContext::from_traceparent(
///     "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
///     Some("req-1".into()),
/// )
/// .unwrap();
/// assert_eq!(t.trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736");
/// let child = t.child_traceparent();
/// assert!(child.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"));
/// assert!(child.ends_with("-01"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceContext {
    // Shared: a handler's context is cloned for each request it sends and task it spawns.
    trace_id: Arc<str>,
    flags: u8,
    request_id: Option<Arc<str>>,
}

impl TraceContext {
    /// The context of `msg`, whose correlation is `request`:
    ///
    /// - the request id is the `x-request-id` user property when it is a valid one (printable
    ///   ASCII, at most [`MAX_REQUEST_ID_CHARS`]), else the correlation's `request_id`;
    /// - the trace id is the valid `traceparent`'s, else the request id when it has the form
    ///   of a trace id (the SDK's request ids do: 32 lower-case hex digits), else a new one.
    ///
    /// `None` for a message with neither a request id nor a valid `traceparent`: the original
    /// units' broadcast messages, which belong to no request.
    pub fn from_message(msg: &Message, request: &RequestContext) -> Option<Self> {
        let request_id = msg
            .header(REQUEST_ID_HEADER)
            .filter(|id| valid_request_id(id))
            .map(Arc::from)
            .or_else(|| request.request_id.as_deref().map(Arc::from));
        if let Some(t) = msg
            .header(TRACEPARENT)
            .and_then(|tp| TraceContext::parsed(tp, request_id.clone()))
        {
            return Some(t);
        }
        request_id.map(|id| TraceContext::started(Some(id)))
    }

    /// The context a valid `traceparent` names, with `request_id`; `None` when it is malformed
    /// (W3C Trace Context: lower-case hex, non-zero ids, version `ff` refused).
    pub fn from_traceparent(traceparent: &str, request_id: Option<String>) -> Option<Self> {
        TraceContext::parsed(traceparent, request_id.map(Arc::from))
    }

    fn parsed(traceparent: &str, request_id: Option<Arc<str>>) -> Option<Self> {
        let (trace_id, flags) = parse_traceparent(traceparent)?;
        Some(TraceContext {
            trace_id: Arc::from(trace_id),
            flags,
            request_id,
        })
    }

    /// A new trace for `request_id`: its trace id is the request id when that has the form of
    /// one, else random. Not sampled (flags `00`): MoDT records no spans.
    pub fn start(request_id: Option<String>) -> Self {
        TraceContext::started(request_id.map(Arc::from))
    }

    fn started(request_id: Option<Arc<str>>) -> Self {
        let trace_id = match &request_id {
            Some(id) if is_nonzero_hex(id, TRACE_ID_HEX) => Arc::clone(id),
            _ => Arc::from(random_hex(TRACE_ID_HEX)),
        };
        TraceContext {
            trace_id,
            flags: 0,
            request_id,
        }
    }

    /// The 32-hex-digit trace id.
    pub fn trace_id(&self) -> &str {
        &self.trace_id
    }

    /// The request id logs name this request by, if it has one.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    /// A `traceparent` for a request sent on behalf of this one: the same trace id and flags,
    /// a new span id.
    pub fn child_traceparent(&self) -> String {
        format!(
            "00-{}-{}-{:02x}",
            self.trace_id,
            random_hex(SPAN_ID_HEX),
            self.flags
        )
    }

    /// The context of the handler running on this task, if any.
    pub fn current() -> Option<TraceContext> {
        CURRENT.try_with(TraceContext::clone).ok()
    }

    /// Runs `fut` with this context as the current one (e.g. a task a handler spawns).
    pub async fn scope<F: Future>(self, fut: F) -> F::Output {
        CURRENT.scope(self, fut).await
    }

    /// Runs `f` with this context as the current one.
    pub fn sync_scope<R>(self, f: impl FnOnce() -> R) -> R {
        CURRENT.sync_scope(self, f)
    }
}

/// Adds the current context's child `traceparent` and its `x-request-id` to a request's
/// headers, each unless the headers already carry it. Nothing outside a handler.
pub(crate) fn stamp(headers: &mut Vec<(String, String)>) {
    // Cheap when no context is set: one task-local probe.
    let _ = CURRENT.try_with(|t| {
        let has = |name: &str| headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name));
        let (has_parent, has_id) = (has(TRACEPARENT), has(REQUEST_ID_HEADER));
        if !has_parent {
            headers.push((TRACEPARENT.to_owned(), t.child_traceparent()));
        }
        if let (false, Some(id)) = (has_id, &t.request_id) {
            headers.push((REQUEST_ID_HEADER.to_owned(), id.to_string()));
        }
    });
}

/// The trace id and flags of a valid `traceparent`.
fn parse_traceparent(tp: &str) -> Option<(&str, u8)> {
    // Future versions may append fields after a '-'; version 00 has exactly four.
    let head = tp.get(..TRACEPARENT_CHARS)?;
    let rest = &tp[TRACEPARENT_CHARS..];
    let mut parts = head.split('-');
    let (version, trace_id, span_id, flags) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let version_ok = is_hex(version, 2) && version != "ff";
    let rest_ok = match version {
        "00" => rest.is_empty(),
        _ => rest.is_empty() || rest.starts_with('-'),
    };
    let ok = version_ok
        && rest_ok
        && is_nonzero_hex(trace_id, TRACE_ID_HEX)
        && is_nonzero_hex(span_id, SPAN_ID_HEX)
        && is_hex(flags, 2);
    match ok {
        true => Some((trace_id, u8::from_str_radix(flags, 16).ok()?)),
        false => None,
    }
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn is_nonzero_hex(s: &str, len: usize) -> bool {
    is_hex(s, len) && s.bytes().any(|b| b != b'0')
}

/// Printable ASCII without spaces, within the request id limit: safe to log as it is.
fn valid_request_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= MAX_REQUEST_ID_CHARS && id.bytes().all(|b| b.is_ascii_graphic())
}

/// `digits` (16 or 32) random lower-case hex digits, never all zero.
fn random_hex(digits: usize) -> String {
    // Non-zero halves: a trace id or span id of zeros is invalid.
    let half = || fastrand::u64(1..);
    match digits {
        SPAN_ID_HEX => format!("{:016x}", half()),
        _ => format!("{:016x}{:016x}", half(), half()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    const TP: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    fn msg(props: &[(&str, &str)]) -> Message {
        Message {
            topic: "modt/echo".into(),
            payload: Bytes::from_static(b"{}"),
            qos: crate::QoS::AtLeastOnce,
            retain: false,
            response_topic: None,
            correlation_data: None,
            user_properties: props
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    fn request(id: &str) -> RequestContext {
        RequestContext {
            request_id: Some(id.to_owned()),
            ..RequestContext::default()
        }
    }

    #[test]
    fn a_valid_traceparent_names_the_trace() {
        let t = TraceContext::from_message(
            &msg(&[(TRACEPARENT, TP), (REQUEST_ID_HEADER, "r-1")]),
            &request("c"),
        )
        .unwrap();
        assert_eq!(t.trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(t.request_id(), Some("r-1"));
        let child = t.child_traceparent();
        assert_eq!(child.len(), TRACEPARENT_CHARS);
        assert!(parse_traceparent(&child).is_some());
        assert_ne!(&child[36..52], "00f067aa0ba902b7", "a new span id");
        assert!(child.ends_with("-01"), "the flags carry over");
    }

    #[test]
    fn malformed_traceparents_are_refused() {
        for bad in [
            "",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01",
            "00-4bf92f3577b34da6a3ce929d0e0e47é-00f067aa0ba902b7-01",
        ] {
            assert!(parse_traceparent(bad).is_none(), "{bad:?}");
        }
        // A later version may add fields.
        assert!(
            parse_traceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra")
                .is_some()
        );
    }

    #[test]
    fn without_traceparent_the_request_id_is_the_trace_id_when_it_can_be() {
        let sdk_id = "0af7651916cd43dd8448eb211c80319c";
        let t = TraceContext::from_message(&msg(&[(TRACEPARENT, "junk")]), &request(sdk_id));
        let t = t.unwrap();
        assert_eq!(t.trace_id(), sdk_id);
        assert_eq!(t.request_id(), Some(sdk_id));

        let t = TraceContext::from_message(&msg(&[]), &request("legacy-7")).unwrap();
        assert_eq!(t.request_id(), Some("legacy-7"));
        assert!(is_nonzero_hex(t.trace_id(), TRACE_ID_HEX), "a new trace id");
        assert!(is_nonzero_hex(&random_hex(SPAN_ID_HEX), SPAN_ID_HEX));
    }

    #[test]
    fn a_broadcast_message_belongs_to_no_trace() {
        let none = RequestContext::default();
        assert_eq!(TraceContext::from_message(&msg(&[]), &none), None);
        let traced = TraceContext::from_message(&msg(&[(TRACEPARENT, TP)]), &none).unwrap();
        assert_eq!(traced.request_id(), None);
        assert_eq!(traced.trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736");
    }

    #[test]
    fn an_unsafe_x_request_id_is_ignored() {
        let long = "x".repeat(MAX_REQUEST_ID_CHARS + 1);
        for bad in ["", "a b", "line\nbreak", long.as_str()] {
            let t = TraceContext::from_message(&msg(&[(REQUEST_ID_HEADER, bad)]), &request("c"));
            assert_eq!(t.unwrap().request_id(), Some("c"), "{bad:?}");
        }
    }

    #[test]
    fn stamping_adds_the_current_context_unless_set() {
        let mut outside = Vec::new();
        stamp(&mut outside);
        assert!(outside.is_empty(), "nothing outside a handler");

        let t = TraceContext::from_traceparent(TP, Some("r-1".into())).unwrap();
        t.clone().sync_scope(|| {
            let mut headers = Vec::new();
            stamp(&mut headers);
            assert_eq!(headers.len(), 2);
            assert_eq!(headers[1], (REQUEST_ID_HEADER.to_owned(), "r-1".to_owned()));
            let child = TraceContext::from_traceparent(&headers[0].1, None).unwrap();
            assert_eq!(child.trace_id(), t.trace_id());

            let mut own = vec![("TraceParent".to_owned(), TP.to_owned())];
            stamp(&mut own);
            assert_eq!(own.len(), 2, "the request's own traceparent stays");
            assert_eq!(own[0].1, TP);
        });
    }
}
