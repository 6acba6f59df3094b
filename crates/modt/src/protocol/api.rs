//! HTTP calls carried over MQTT: what the gateway sends a unit for one HTTP request
//! ([`ApiRequest`]) and what the unit answers ([`ApiReply`]) (docs/protocol.md §7).
//!
//! There is one mapping for every route: path parameters, query parameters, the forwarded
//! headers and the JSON body each have their own field, and the caller the gateway verified
//! (from a bearer token or a session cookie) is in [`ApiRequest::caller`]. A unit trusts
//! `caller` because only the accounts the broker policy lets publish on its API topics (the
//! gateway and the operator) can send one; a unit never reads identity from `headers`.
//!
//! A failure is the ordinary error reply of §3: the gateway answers it with the HTTP status of
//! its code.
//!
//! ```
//! use modt::protocol::{ApiReply, ApiRequest, Caller, Role};
//!
//! let req: ApiRequest = serde_json::from_str(
//!     r#"{"method":"GET","route":"/todos/{id}","params":{"id":"7"},
//!         "caller":{"user_id":"u1","username":"ann","role":"user"}}"#,
//! ).unwrap();
//! assert_eq!(req.param("id"), Some("7"));
//! assert_eq!(req.caller.as_ref().map(|c| c.role), Some(Role::User));
//!
//! let reply = ApiReply::ok(serde_json::json!({"id": 7})).header("etag", "\"3\"");
//! assert_eq!(reply.status, 200);
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Role;

/// Request headers the gateway forwards to units (lower case); every other header stays at the
/// gateway.
pub const FORWARDED_REQUEST_HEADERS: &[&str] = &[
    "if-match",
    "if-none-match",
    "accept-language",
    "idempotency-key",
];

/// Reply headers a unit may set and the gateway passes on (lower case); others are dropped.
pub const FORWARDED_REPLY_HEADERS: &[&str] = &["etag", "location", "cache-control"];

/// The MQTT 5 user property that carries the W3C trace context of a request.
pub const TRACEPARENT: &str = "traceparent";

/// The MQTT 5 user property that carries the gateway's request id (also the HTTP
/// `x-request-id` header).
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Who is calling, as the gateway verified it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Caller {
    /// The account's id (identify's `user_id`).
    pub user_id: String,
    /// The login name.
    pub username: String,
    /// `user` or `admin`.
    pub role: Role,
    /// The tenant, for multi-tenant systems; absent in a single-tenant one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
}

impl Caller {
    /// Whether the caller is an administrator.
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

/// One HTTP request, forwarded by the gateway to a unit's topic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiRequest {
    /// The HTTP method, upper case.
    pub method: String,
    /// The route's path pattern, e.g. `/todos/{id}`.
    pub route: String,
    /// Path parameters by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, String>,
    /// Query parameters by name (the last value of a repeated one).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub query: BTreeMap<String, String>,
    /// The [`FORWARDED_REQUEST_HEADERS`] the request carried, by lower-case name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// The JSON body, when the request had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
    /// The verified caller; absent on a route that needs no login and got none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller: Option<Caller>,
    /// The client's address as the gateway saw it (for per-address limits such as login
    /// throttling).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_addr: Option<String>,
}

impl ApiRequest {
    /// A request for `method` on `route`, with nothing else set.
    pub fn new(method: impl Into<String>, route: impl Into<String>) -> Self {
        ApiRequest {
            method: method.into(),
            route: route.into(),
            params: BTreeMap::new(),
            query: BTreeMap::new(),
            headers: BTreeMap::new(),
            body: None,
            caller: None,
            client_addr: None,
        }
    }

    /// A path parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }

    /// A query parameter.
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query.get(name).map(String::as_str)
    }

    /// A forwarded header, by lower-case name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }
}

/// A unit's successful answer to an [`ApiRequest`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiReply {
    /// The HTTP status: 200, 201 or 204.
    pub status: u16,
    /// [`FORWARDED_REPLY_HEADERS`] to send, by lower-case name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// The JSON body; absent for 204.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
}

impl ApiReply {
    /// 200 with `body`.
    pub fn ok(body: Value) -> Self {
        ApiReply {
            status: 200,
            headers: BTreeMap::new(),
            body: Some(body),
        }
    }

    /// 201 with `body`.
    pub fn created(body: Value) -> Self {
        ApiReply {
            status: 201,
            ..ApiReply::ok(body)
        }
    }

    /// 204, no body.
    pub fn no_content() -> Self {
        ApiReply {
            status: 204,
            headers: BTreeMap::new(),
            body: None,
        }
    }

    /// Adds a header (lower-case name).
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.insert(name.to_owned(), value.into());
        self
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn empty_parts_are_left_out_on_the_wire() {
        let json = serde_json::to_string(&ApiRequest::new("GET", "/todos")).unwrap();
        assert_eq!(json, r#"{"method":"GET","route":"/todos"}"#);
        let json = serde_json::to_string(&ApiReply::no_content()).unwrap();
        assert_eq!(json, r#"{"status":204}"#);
    }

    #[test]
    fn an_unknown_role_is_refused_not_widened() {
        let bad =
            r#"{"method":"GET","route":"/","caller":{"user_id":"u","username":"n","role":"root"}}"#;
        assert!(serde_json::from_str::<ApiRequest>(bad).is_err());
    }
}
