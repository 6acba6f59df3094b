//! Replies of the correlated extension: the ack and the error reply (docs/protocol.md §3, §5).
//!
//! The stable error codes live here and nowhere else.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::Timestamp;

/// Stable error codes carried in [`ErrorReply`]; documented in docs/protocol.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorCode {
    /// The payload is not JSON, not an object, or lacks or mistypes a required field.
    BadRequest,
    /// The thing asked for does not exist.
    NotFound,
    /// A key, user id, value or payload exceeds its limit.
    TooLarge,
    /// A version check (`if_version`) failed, or the thing already exists.
    Conflict,
    /// A precondition the requester set (HTTP `If-Match`) does not hold: the thing changed
    /// since the requester read it.
    PreconditionFailed,
    /// The requester is not known or not allowed (broker refusal, ACL, no valid session).
    Unauthorized,
    /// The requester is known but may not do this (e.g. a user asking for an
    /// administrator's page).
    Forbidden,
    /// Well-formed, but its content cannot be carried out (a value that fails a rule).
    Unprocessable,
    /// The requester sent too much too fast; retry later.
    TooManyRequests,
    /// The responder cannot serve now (overloaded, storage down, circuit open).
    Unavailable,
    /// Something did not answer in time.
    Timeout,
    /// A fault inside the responder.
    Internal,
}

impl ErrorCode {
    /// The wire spelling, e.g. `bad_request`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::NotFound => "not_found",
            ErrorCode::TooLarge => "too_large",
            ErrorCode::Conflict => "conflict",
            ErrorCode::PreconditionFailed => "precondition_failed",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::Unprocessable => "unprocessable",
            ErrorCode::TooManyRequests => "too_many_requests",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::Timeout => "timeout",
            ErrorCode::Internal => "internal",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `"ok"` or `"error"`: the `status` of an extension reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplyStatus {
    /// The request was carried out.
    Ok,
    /// The request failed; see `error`.
    Error,
}

/// The `error` object of an error reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// A stable code.
    pub code: ErrorCode,
    /// A human-readable explanation (never holds secrets).
    pub message: String,
    /// Which fields broke which rule (with `unprocessable` or `bad_request`); absent when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<FieldError>,
    /// Whole seconds to wait before trying again (with `too_many_requests` or `unavailable`,
    /// when the unit knows); a gateway sends it on as `Retry-After`. Absent when unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
}

impl ErrorBody {
    /// A body with `code` and `message` and no field details.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ErrorBody {
            code,
            message: message.into(),
            details: Vec::new(),
            retry_after: None,
        }
    }
}

/// One field that broke a rule, in an error's `details`.
///
/// Wire: `{"field": "/title", "reason": "must not be empty"}`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// The field, as a JSON pointer into the request body (`/title`), or a parameter's name.
    pub field: String,
    /// The rule it broke, for people.
    pub reason: String,
}

impl FieldError {
    /// `field` broke the rule `reason`.
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// An error reply.
///
/// Wire: `{"status": "error", "request_id": "r1", "error": {"code": "bad_request", "message": "…"}}`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorReply {
    /// When the sender wrote the message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Timestamp>,
    /// Always `error`.
    pub status: ReplyStatus,
    /// The request's id, when it had one.
    #[serde(default)]
    pub request_id: Option<String>,
    /// What went wrong.
    pub error: ErrorBody,
}

impl ErrorReply {
    /// An error reply for `request_id`.
    pub fn new(request_id: Option<String>, code: ErrorCode, message: impl Into<String>) -> Self {
        ErrorReply {
            timestamp: Some(Timestamp::now()),
            status: ReplyStatus::Error,
            request_id,
            error: ErrorBody::new(code, message),
        }
    }
}

/// An acknowledgement of a mutation, sent only after it is durable.
///
/// Wire: `{"status": "ok", "request_id": "r1"}`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ack {
    /// When the sender wrote the message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Timestamp>,
    /// Always `ok`.
    pub status: ReplyStatus,
    /// The request's id.
    #[serde(default)]
    pub request_id: Option<String>,
}

impl Ack {
    /// An ack for `request_id`.
    pub fn new(request_id: Option<String>) -> Self {
        Ack {
            timestamp: Some(Timestamp::now()),
            status: ReplyStatus::Ok,
            request_id,
        }
    }
}

/// Reads just enough of any reply to tell an error reply apart.
#[derive(Debug, Deserialize)]
pub(crate) struct ReplyProbe {
    #[serde(default)]
    pub(crate) status: Option<serde_json::Value>,
    #[serde(default)]
    pub(crate) error: Option<ErrorBody>,
}
