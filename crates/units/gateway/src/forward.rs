//! One HTTP call as an MQTT v5 correlated request: the [`ApiRequest`] the unit gets (the one
//! mapping of docs/protocol.md §7), and its answer — an [`ApiReply`] or an error reply — as the
//! HTTP response. Every way the request can fail becomes a status, never a hang: no reply
//! within the route's timeout is 504, the unit gone while waiting is 503.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use modt::protocol::api::{
    FORWARDED_REPLY_HEADERS, FORWARDED_REQUEST_HEADERS, REQUEST_ID_HEADER, TRACEPARENT,
};
use modt::protocol::{ApiReply, ApiRequest, Caller, ErrorCode};
use modt::trace::TraceContext;
use modt::{Client, RequestErrorKind, RequestOptions};
use modt_web::ApiError;
use serde_json::Value;

use crate::routes::Route;

/// Longest forwarded header value; a longer one is not forwarded.
pub(crate) const MAX_FORWARDED_HEADER_CHARS: usize = 1024;
/// The `Retry-After` of a 503 for a unit that is offline.
pub(crate) const OFFLINE_RETRY_AFTER: Duration = Duration::from_secs(5);

/// What the gateway knows about one call once it is admitted.
#[derive(Debug)]
pub(crate) struct Call<'a> {
    pub(crate) route: &'a Route,
    pub(crate) params: BTreeMap<String, String>,
    pub(crate) query: BTreeMap<String, String>,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) body: Option<Value>,
    pub(crate) caller: Option<Caller>,
    pub(crate) client_addr: String,
    pub(crate) request_id: &'a str,
    pub(crate) trace: &'a TraceContext,
}

impl Call<'_> {
    /// The payload the unit gets.
    pub(crate) fn api_request(&self) -> ApiRequest {
        let mut req = ApiRequest::new(self.route.method.as_str(), self.route.path.clone());
        req.params = self.params.clone();
        req.query = self.query.clone();
        req.headers = forwarded_headers(self.headers);
        req.body = self.body.clone();
        req.caller = self.caller.clone();
        req.client_addr = Some(self.client_addr.clone());
        req
    }
}

/// The [`FORWARDED_REQUEST_HEADERS`] of `headers`, by lower-case name.
pub(crate) fn forwarded_headers(headers: &HeaderMap) -> BTreeMap<String, String> {
    FORWARDED_REQUEST_HEADERS
        .iter()
        .filter_map(|name| {
            let value = headers.get(*name)?.to_str().ok()?;
            (value.len() <= MAX_FORWARDED_HEADER_CHARS)
                .then(|| ((*name).to_owned(), value.to_owned()))
        })
        .collect()
}

/// Sends `call` to its route's unit and answers with what it replied.
pub(crate) async fn forward(client: &Client, call: Call<'_>) -> Result<Response, ApiError> {
    let route = call.route;
    let options = RequestOptions::new()
        .timeout(route.timeout)
        .request_id(call.request_id)
        .header(REQUEST_ID_HEADER, call.request_id)
        .header(TRACEPARENT, call.trace.child_traceparent());
    let msg = client
        .request(&route.topic, &call.api_request(), options)
        .await
        .map_err(refusal)?;
    modt::check_error_reply(&route.topic, &msg).map_err(refusal)?;
    let reply: ApiReply = msg
        .json()
        .map_err(|e| ApiError::internal(format!("{} answered no ApiReply: {e}", route.topic)))?;
    reply_response(route, reply)
}

/// A failed request as the client's error.
fn refusal(e: modt::RequestError) -> ApiError {
    match e.kind() {
        RequestErrorKind::TimedOut => {
            ApiError::new(ErrorCode::Timeout, "the service did not answer in time").caused_by(e)
        }
        RequestErrorKind::NoResponders | RequestErrorKind::Closed => {
            ApiError::unavailable(&e).retry_after(OFFLINE_RETRY_AFTER)
        }
        RequestErrorKind::ErrorReply(_) => match e.error_reply() {
            Some(body) => ApiError::from_body(body.clone()),
            None => ApiError::internal(e),
        },
        RequestErrorKind::TooLarge => {
            ApiError::new(ErrorCode::TooLarge, "the request is too large")
        }
        _ => ApiError::internal(e),
    }
}

/// An [`ApiReply`] as the HTTP response: its status (2xx or 3xx), the
/// [`FORWARDED_REPLY_HEADERS`] it set, its JSON body.
fn reply_response(route: &Route, reply: ApiReply) -> Result<Response, ApiError> {
    let status = StatusCode::from_u16(reply.status)
        .ok()
        .filter(|s| s.is_success() || s.is_redirection())
        .ok_or_else(|| {
            ApiError::internal(format!("{} answered status {}", route.topic, reply.status))
        })?;
    let mut response = match reply.body {
        Some(body) if status != StatusCode::NO_CONTENT && status != StatusCode::NOT_MODIFIED => {
            (status, Json(body)).into_response()
        }
        _ => status.into_response(),
    };
    for (name, value) in &reply.headers {
        let name = name.to_ascii_lowercase();
        if !FORWARDED_REPLY_HEADERS.contains(&name.as_str()) {
            continue;
        }
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            response.headers_mut().insert(name, value);
        }
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn only_the_listed_headers_go_to_the_unit() {
        let mut h = HeaderMap::new();
        h.insert("if-match", "\"3\"".parse().unwrap());
        h.insert("authorization", "Bearer secret".parse().unwrap());
        h.insert("cookie", "modt_session_id=s".parse().unwrap());
        h.insert("x-user-id", "admin".parse().unwrap());
        h.insert(
            "idempotency-key",
            "x".repeat(MAX_FORWARDED_HEADER_CHARS + 1).parse().unwrap(),
        );
        let fwd = forwarded_headers(&h);
        assert_eq!(fwd.len(), 1, "{fwd:?}");
        assert_eq!(fwd["if-match"], "\"3\"");
    }
}
