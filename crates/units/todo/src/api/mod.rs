//! One file per topic, each in the same steps: decode the `ApiRequest`, take the caller,
//! check the request ([`crate::rules`]), apply it to the store, reply with an `ApiReply`
//! (or a `HandlerError`, which the gateway answers with the code's HTTP status), and after
//! a committed change announce it on `modt/todo/changed/{owner}`.
//!
//! Who may do what comes only from `caller`, which the gateway verified: no caller is
//! `unauthorized`; a user reaches only their own todos, and another user's id answers
//! `not_found` exactly as a missing one does, so ids do not leak; an administrator reaches
//! everyone's.

pub(crate) mod create;
pub(crate) mod delete;
pub(crate) mod get;
pub(crate) mod list;
pub(crate) mod update;

use std::sync::Arc;

use modt::protocol::{
    topics, ApiReply, ApiRequest, Caller, ErrorCode, FieldError, Todo, TodoChanged, TodoOp,
};
use modt::{Context, HandlerError, QoS};
use serde_json::Value;

use crate::rules;
use crate::store::{hash_request, RequestKey, StoreError, TodoStore};
use crate::store::{REMEMBER_IDEMPOTENCY_KEYS, REMEMBER_RETRIES};

/// What every handler shares.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) store: Arc<dyn TodoStore>,
}

/// The verified caller, or `unauthorized`.
pub(crate) fn caller(req: &ApiRequest) -> Result<&Caller, HandlerError> {
    req.caller.as_ref().ok_or_else(|| {
        HandlerError::new(ErrorCode::Unauthorized, "the todos need a logged-in caller")
    })
}

/// Whose todos `caller` may reach by id: their own (`Some`), or anyone's for an
/// administrator (`None`).
pub(crate) fn scope(caller: &Caller) -> Option<String> {
    (!caller.is_admin()).then(|| caller.user_id.clone())
}

/// The todo id of the route, or `not_found` when it cannot name one.
pub(crate) fn todo_id(req: &ApiRequest) -> Result<String, HandlerError> {
    match req.param("id") {
        Some(id) if rules::plausible_id(id) => Ok(id.to_owned()),
        _ => Err(not_found()),
    }
}

pub(crate) fn not_found() -> HandlerError {
    HandlerError::new(ErrorCode::NotFound, "no such todo")
}

/// Store errors as the wire sees them (the only place this mapping lives).
pub(crate) fn store_error(e: StoreError) -> HandlerError {
    match e {
        StoreError::NotFound => not_found(),
        StoreError::PreconditionFailed { .. } => {
            HandlerError::new(ErrorCode::PreconditionFailed, e.to_string())
        }
        StoreError::KeyReused => HandlerError::unprocessable(vec![FieldError::new(
            "idempotency-key",
            "was used for another request",
        )]),
        StoreError::Unavailable(_) => HandlerError::new(ErrorCode::Unavailable, e.to_string()),
        _ => {
            tracing::error!(error = %e, "todo storage failed");
            HandlerError::new(ErrorCode::Internal, "storage failed")
        }
    }
}

/// The keys a write's answer is remembered under: the request's retry key (an MQTT re-send
/// or the gateway's retry), and its `Idempotency-Key` header per caller.
pub(crate) fn request_keys(
    ctx: &Context,
    req: &ApiRequest,
    caller: &Caller,
) -> Result<Vec<RequestKey>, HandlerError> {
    let idempotency = rules::idempotency_key(req.header("idempotency-key"))
        .map_err(|e| HandlerError::unprocessable(vec![e]))?;
    let fingerprint = hash_request(req);
    let mut keys = Vec::new();
    if let Some(retry) = ctx.request().retry_key() {
        keys.push(RequestKey::retry(&retry, fingerprint, REMEMBER_RETRIES));
    }
    if let Some(key) = idempotency {
        keys.push(RequestKey::idempotency(
            &caller.user_id,
            key,
            fingerprint,
            REMEMBER_IDEMPOTENCY_KEYS,
        ));
    }
    Ok(keys)
}

/// A todo as a reply body.
pub(crate) fn body(todo: &Todo) -> Result<Value, HandlerError> {
    serde_json::to_value(todo).map_err(|e| HandlerError::new(ErrorCode::Internal, e.to_string()))
}

/// `reply` with the todo's `etag`.
pub(crate) fn with_etag(reply: ApiReply, todo: &Todo) -> ApiReply {
    reply.header("etag", rules::etag(todo.version))
}

/// Announces a committed change to the owner's open pages (QoS 0: a notice, the store is
/// the record). A failure is logged; the change stands.
pub(crate) async fn announce(ctx: &Context, op: TodoOp, todo: &Todo) {
    let event = TodoChanged {
        user_id: todo.owner.clone(),
        op,
        id: todo.id.clone(),
        version: todo.version,
        todo: (op != TodoOp::Deleted).then(|| todo.clone()),
    };
    let topic = match topics::todo_changed(&todo.owner) {
        Ok(t) => t,
        Err(e) => {
            tracing::warn!(error = %e, "no change topic for this owner");
            return;
        }
    };
    if let Err(e) = ctx
        .client()
        .publish_json_qos(&topic, &event, QoS::AtMostOnce)
        .await
    {
        tracing::warn!(error = %e, "could not announce a todo change");
    }
}
