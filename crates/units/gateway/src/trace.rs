//! The ids that tie one HTTP call to the unit's log lines: the request id (always the
//! gateway's own, new for every call), sent as the MQTT request id and as the `x-request-id`
//! user property and returned in the response's `x-request-id`; the client's own
//! `x-request-id`, when sane, logged beside it; and the W3C `traceparent` (the client's when
//! valid, else a new trace), continued with a new span id for the gateway's hop.
//!
//! The request id is never the client's: units remember a write's answer under its request id
//! (docs/protocol.md §3, "Retried requests"), so a client's id reused by another request, or
//! by another client, would be taken for a retry. Clients that want their retries recognised
//! send `Idempotency-Key`; clients that want their own id in the logs send `x-request-id` or a
//! `traceparent`.

use axum::http::HeaderMap;
use modt::protocol::api::{REQUEST_ID_HEADER, TRACEPARENT};
use modt::trace::TraceContext;

/// Longest client request id that is logged.
pub(crate) const MAX_REQUEST_ID_CHARS: usize = 64;

/// A new request id (32 hex digits, the form of a trace id).
pub(crate) fn new_request_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// The client's `x-request-id` when it has 1–[`MAX_REQUEST_ID_CHARS`] characters of
/// `A-Z a-z 0-9 . _ : -` (safe in logs), for the access log.
pub(crate) fn client_request_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|id| is_sane(id))
        .map(str::to_owned)
}

fn is_sane(id: &str) -> bool {
    (1..=MAX_REQUEST_ID_CHARS).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
}

/// The trace the request belongs to: the client's valid `traceparent`, else a new one.
pub(crate) fn trace(headers: &HeaderMap, request_id: &str) -> TraceContext {
    headers
        .get(TRACEPARENT)
        .and_then(|v| v.to_str().ok())
        .and_then(|tp| TraceContext::from_traceparent(tp, Some(request_id.to_owned())))
        .unwrap_or_else(|| TraceContext::start(Some(request_id.to_owned())))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn a_sane_client_request_id_is_logged_and_ours_is_always_new() {
        assert_eq!(
            client_request_id(&headers(&[("x-request-id", "req-1.a:b_c")])).as_deref(),
            Some("req-1.a:b_c")
        );
        for bad in [
            "a/b",
            "a+b",
            "a b",
            "#",
            &"x".repeat(MAX_REQUEST_ID_CHARS + 1),
        ] {
            assert_eq!(client_request_id(&headers(&[("x-request-id", bad)])), None);
        }
        let (a, b) = (new_request_id(), new_request_id());
        assert!(a.len() == 32 && a != b, "{a} {b}");
    }

    #[test]
    fn a_valid_traceparent_is_continued_and_a_bad_one_replaced() {
        let tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let t = trace(&headers(&[("traceparent", tp)]), "r");
        assert_eq!(t.trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736");
        let child = t.child_traceparent();
        assert!(child.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-") && child != tp);
        let bad = "00-00000000000000000000000000000000-00f067aa0ba902b7-01";
        let t = trace(&headers(&[("traceparent", bad)]), "r");
        assert_ne!(t.trace_id(), "00000000000000000000000000000000");
        assert_eq!(t.trace_id().len(), 32);
    }
}
