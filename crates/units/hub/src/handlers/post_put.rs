//! `modt/{unit}/POST` and `modt/{unit}/PUT`: store a value.
//!
//! - POST creates or replaces the key.
//! - PUT replaces a key the hub knows: one with a live value or a static default. On a key it
//!   does not know, it stores nothing and answers 404 (a correlated request gets `not_found`).
//!
//! Both need a non-null `value`. The answer comes once the value is on disk: legacy, on
//! `modt/{unit}/response` with status 200 and the stored value; correlated, a private
//! [`HubAck`] (`{"status":"ok","request_id",…}`, docs/protocol.md §3).

use std::sync::Arc;

use modt::protocol::{hub_status, ErrorCode, HubAck, HubMethod, HubResponse};
use modt::unit::HandlerFuture;
use modt::{Context, HandlerError, Message};
use serde_json::Value;

use super::{decode, store_error, Shared};
use crate::store::WriteMode;

pub(crate) fn post(
    h: &Arc<Shared>,
    ctx: Context,
    msg: Message,
) -> Result<HandlerFuture, HandlerError> {
    accept(h, ctx, msg, HubMethod::Post)
}

pub(crate) fn put(
    h: &Arc<Shared>,
    ctx: Context,
    msg: Message,
) -> Result<HandlerFuture, HandlerError> {
    accept(h, ctx, msg, HubMethod::Put)
}

fn accept(
    h: &Arc<Shared>,
    ctx: Context,
    msg: Message,
    method: HubMethod,
) -> Result<HandlerFuture, HandlerError> {
    let req = decode(h, &ctx, &msg)?;
    let value = match &req.body.value {
        Some(v) => v.clone(),
        None => {
            return Err(HandlerError::bad_request(format!(
                "{} needs a value (not null)",
                method.as_str()
            )))
        }
    };
    h.limits.value(&value)?;
    let mode = match method {
        HubMethod::Put if !h.defaults.contains(&req.body.key) => WriteMode::ReplaceOnly,
        _ => WriteMode::Upsert,
    };
    let stored = h
        .store
        .submit_put(req.body.key.clone(), value.clone(), mode)
        .map_err(store_error)?;
    Ok(Box::pin(async move {
        let stored = stored.wait().await.map_err(store_error)?;
        let body = req.body;
        match (stored, ctx.request().is_correlated()) {
            (true, true) => {
                let request_id = ctx.request().request_id.clone();
                ctx.reply(&HubAck::new(request_id, body.id, body.key, value))
                    .await?;
                Ok(())
            }
            (true, false) => {
                let answer = HubResponse::new(body.id, body.key, hub_status::LIVE, value);
                ctx.answer(&req.response, &answer).await
            }
            (false, true) => Err(HandlerError::new(
                ErrorCode::NotFound,
                format!(
                    "PUT replaces a key the hub knows; {:?} has no value and no default (POST creates it)",
                    body.key
                ),
            )),
            (false, false) => {
                let answer =
                    HubResponse::new(body.id, body.key, hub_status::NOT_FOUND, Value::Null);
                ctx.answer(&req.response, &answer).await
            }
        }
    }))
}
