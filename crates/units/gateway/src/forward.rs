//! One HTTP call as an MQTT v5 correlated request: the [`ApiRequest`] the unit gets (the one
//! mapping of docs/protocol.md §7), and its answer — an [`ApiReply`] or an error reply — as the
//! HTTP response. Every way the request can fail becomes a status, never a hang: no reply
//! within the route's timeout is 504, the unit gone while waiting is 503.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use modt::protocol::api::{
    FORWARDED_REPLY_HEADERS, FORWARDED_REQUEST_HEADERS, REQUEST_ID_HEADER, TRACEPARENT,
};
#[cfg(doc)]
use modt::protocol::{ApiReply, ApiRequest};
use modt::protocol::{Caller, ErrorCode};
use modt::trace::TraceContext;
use modt::{Client, RequestErrorKind, RequestOptions};
use modt_web::ApiError;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

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
    /// The JSON body as the client sent it (checked to be JSON).
    pub(crate) body: Option<Box<RawValue>>,
    pub(crate) caller: Option<Caller>,
    pub(crate) client_addr: String,
    pub(crate) request_id: &'a str,
    pub(crate) trace: &'a TraceContext,
}

impl Call<'_> {
    /// The payload the unit gets: an [`ApiRequest`] on the wire, borrowed from the call.
    fn api_request(&self) -> RequestView<'_> {
        RequestView {
            method: self.route.method.as_str(),
            route: &self.route.path,
            params: &self.params,
            query: &self.query,
            headers: forwarded_headers(self.headers),
            body: self.body.as_deref(),
            caller: self.caller.as_ref(),
            client_addr: Some(&self.client_addr),
        }
    }
}

/// An [`ApiRequest`] as it goes on the wire (the same fields, names and omissions), borrowed
/// from the call instead of copied into one, and with the body passed on as the client sent
/// it rather than parsed into a tree and written out again.
#[derive(Debug, Serialize)]
struct RequestView<'a> {
    method: &'a str,
    route: &'a str,
    #[serde(skip_serializing_if = "is_empty")]
    params: &'a BTreeMap<String, String>,
    #[serde(skip_serializing_if = "is_empty")]
    query: &'a BTreeMap<String, String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    headers: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<&'a RawValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    caller: Option<&'a Caller>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_addr: Option<&'a str>,
}

fn is_empty(map: &&BTreeMap<String, String>) -> bool {
    map.is_empty()
}

/// An [`ApiReply`] as read off the wire, its body kept as the unit wrote it: the gateway
/// sends those bytes on instead of parsing them into a tree and writing them out again.
#[derive(Debug, Deserialize)]
struct ReplyView<'a> {
    status: u16,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default, borrow)]
    body: Option<&'a RawValue>,
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
    let reply: ReplyView<'_> = serde_json::from_slice(&msg.payload)
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
fn reply_response(route: &Route, reply: ReplyView<'_>) -> Result<Response, ApiError> {
    let status = StatusCode::from_u16(reply.status)
        .ok()
        .filter(|s| s.is_success() || s.is_redirection())
        .ok_or_else(|| {
            ApiError::internal(format!("{} answered status {}", route.topic, reply.status))
        })?;
    let mut response = match reply.body {
        Some(body) if status != StatusCode::NO_CONTENT && status != StatusCode::NOT_MODIFIED => {
            let json = HeaderValue::from_static("application/json");
            let bytes = bytes::Bytes::copy_from_slice(body.get().as_bytes());
            (status, [(CONTENT_TYPE, json)], bytes).into_response()
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
    fn the_request_view_is_an_api_request_on_the_wire() {
        use modt::protocol::{ApiRequest, Role};
        let table = crate::RouteTable::load(None, Duration::from_secs(5)).unwrap();
        let route = &table.routes()[0];
        let mut headers = HeaderMap::new();
        headers.insert("if-match", "\"3\"".parse().unwrap());
        let trace = crate::trace::trace(&headers, "req-1");
        let caller = Caller {
            user_id: "u1".into(),
            username: "ann".into(),
            role: Role::User,
            tenant: None,
        };
        let call = Call {
            route,
            params: [("id".to_owned(), "7".to_owned())].into(),
            query: BTreeMap::new(),
            headers: &headers,
            body: Some(RawValue::from_string(r#"{ "title": "x", "n": [1, 2.5] }"#.into()).unwrap()),
            caller: Some(caller.clone()),
            client_addr: "127.0.0.1".into(),
            request_id: "req-1",
            trace: &trace,
        };
        let wire = serde_json::to_string(&call.api_request()).unwrap();
        assert!(
            !wire.contains("\"query\""),
            "empty parts are left out: {wire}"
        );
        let req: ApiRequest = serde_json::from_str(&wire).unwrap();
        let mut expected = ApiRequest::new(route.method.as_str(), route.path.clone());
        expected.params.insert("id".into(), "7".into());
        expected.headers.insert("if-match".into(), "\"3\"".into());
        expected.body = Some(serde_json::json!({"title": "x", "n": [1, 2.5]}));
        expected.caller = Some(caller);
        expected.client_addr = Some("127.0.0.1".into());
        assert_eq!(req, expected);
    }

    #[test]
    fn a_reply_body_is_passed_on_as_the_unit_wrote_it() {
        let table = crate::RouteTable::load(None, Duration::from_secs(5)).unwrap();
        let payload = r#"{"status":201,"headers":{"etag":"\"1\"","x-other":"no"},"body":{"id":"t1","n":2.50},"request_id":"r"}"#;
        let reply: ReplyView<'_> = serde_json::from_str(payload).unwrap();
        let response = reply_response(&table.routes()[0], reply).unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        assert_eq!(response.headers()["etag"], "\"1\"");
        assert_eq!(response.headers()[CONTENT_TYPE], "application/json");
        assert!(response.headers().get("x-other").is_none());
        let body = futures_body(response);
        assert_eq!(body, r#"{"id":"t1","n":2.50}"#);
    }

    fn futures_body(response: Response) -> String {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let bytes = rt
            .block_on(axum::body::to_bytes(response.into_body(), usize::MAX))
            .unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

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
