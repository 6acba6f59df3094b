//! The ids that tie one HTTP call to the unit's log lines: the request id (the client's
//! `x-request-id` when it is sane, else a new one), sent as the MQTT request id and as the
//! `x-request-id` user property; and the W3C `traceparent` (the client's when valid, else a new
//! trace), continued with a new span id for the gateway's hop.

use axum::http::HeaderMap;
use modt::protocol::api::{REQUEST_ID_HEADER, TRACEPARENT};
use modt::trace::TraceContext;

/// Longest client request id taken as it is.
pub(crate) const MAX_REQUEST_ID_CHARS: usize = 64;

/// The request's id: the client's `x-request-id` when it has 1–[`MAX_REQUEST_ID_CHARS`]
/// characters of `A-Z a-z 0-9 . _ : -` (safe in logs and as a topic level), else a new one.
pub(crate) fn request_id(headers: &HeaderMap) -> String {
    headers
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|id| is_sane(id))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string())
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
    fn a_sane_request_id_is_kept_and_others_replaced() {
        assert_eq!(
            request_id(&headers(&[("x-request-id", "req-1.a:b_c")])),
            "req-1.a:b_c"
        );
        for bad in [
            "a/b",
            "a+b",
            "a b",
            "#",
            &"x".repeat(MAX_REQUEST_ID_CHARS + 1),
        ] {
            let id = request_id(&headers(&[("x-request-id", bad)]));
            assert_ne!(id, bad);
            assert_eq!(id.len(), 32, "a fresh id: {id}");
        }
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
