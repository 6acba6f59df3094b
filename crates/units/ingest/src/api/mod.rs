//! The unit's API: one handler per `modt/ingest/…` topic, each decoding the `ApiRequest`,
//! checking the caller (any logged-in user reads; administrators change connections),
//! applying, and replying with an `ApiReply`.
//!
//! - `connections`: list, create, get, update (start/stop), delete, log.
//! - `reads`: discovered topics, the device tree, a sensor's history, the parse log.

pub(crate) mod connections;
pub(crate) mod reads;

use std::sync::Arc;

use modt::protocol::ingest::ConnectionWithStatus;
use modt::protocol::{ApiReply, ApiRequest, Caller, ErrorCode, FieldError};
use modt::HandlerError;
use serde_json::Value;

use crate::reconcile::{Poke, Statuses};
use crate::rules;
use crate::secret::SecretKey;
use crate::store::{IngestStore, StoreError, StoredConnection};

/// What every handler shares.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) store: Arc<dyn IngestStore>,
    pub(crate) key: Arc<SecretKey>,
    pub(crate) statuses: Statuses,
    pub(crate) poke: Poke,
}

impl Shared {
    pub(crate) fn with_status(&self, s: StoredConnection) -> ConnectionWithStatus {
        let status = self.statuses.get(&s.connection.id);
        ConnectionWithStatus {
            connection: s.connection,
            status,
        }
    }
}

/// The verified caller, or `unauthorized`.
pub(crate) fn caller(req: &ApiRequest) -> Result<&Caller, HandlerError> {
    req.caller.as_ref().ok_or_else(|| {
        HandlerError::new(
            ErrorCode::Unauthorized,
            "the ingest unit needs a logged-in caller",
        )
    })
}

/// An administrator, or `forbidden`.
pub(crate) fn admin(req: &ApiRequest) -> Result<&Caller, HandlerError> {
    let c = caller(req)?;
    if c.is_admin() {
        Ok(c)
    } else {
        Err(HandlerError::new(
            ErrorCode::Forbidden,
            "only administrators change connections",
        ))
    }
}

/// The route's `{id}`, or `not_found`.
pub(crate) fn id(req: &ApiRequest) -> Result<String, HandlerError> {
    match req.param("id") {
        Some(id) if !id.is_empty() && id.len() <= 64 => Ok(id.to_owned()),
        _ => Err(not_found()),
    }
}

pub(crate) fn not_found() -> HandlerError {
    HandlerError::new(ErrorCode::NotFound, "no such connection")
}

/// The body as `T`, or a 422 naming what is wrong.
pub(crate) fn body<T: serde::de::DeserializeOwned>(req: &ApiRequest) -> Result<T, HandlerError> {
    let value = req.body.clone().unwrap_or(Value::Null);
    serde_json::from_value(value)
        .map_err(|e| HandlerError::unprocessable(vec![FieldError::new("", e.to_string())]))
}

/// Store errors as the wire sees them (the only place this mapping lives).
pub(crate) fn store_error(e: StoreError) -> HandlerError {
    match e {
        StoreError::NotFound => not_found(),
        StoreError::PreconditionFailed { .. } => {
            HandlerError::new(ErrorCode::PreconditionFailed, e.to_string())
        }
        StoreError::Unavailable(_) => HandlerError::new(ErrorCode::Unavailable, e.to_string()),
        _ => {
            tracing::error!(error = %e, "ingest storage failed");
            HandlerError::new(ErrorCode::Internal, "storage failed")
        }
    }
}

/// `value` as a reply body.
pub(crate) fn json<T: serde::Serialize>(value: &T) -> Result<Value, HandlerError> {
    serde_json::to_value(value).map_err(|e| HandlerError::new(ErrorCode::Internal, e.to_string()))
}

/// `reply` with the connection's `etag`.
pub(crate) fn with_etag(reply: ApiReply, c: &ConnectionWithStatus) -> ApiReply {
    reply.header("etag", rules::etag(c.connection.version))
}
