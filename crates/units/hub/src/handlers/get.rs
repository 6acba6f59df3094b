//! `modt/{unit}/GET`: the live value (200), else the static default (203), else nothing (404,
//! value null). Answered on `modt/{unit}/response`, or privately when the request asks.

use std::sync::Arc;

use modt::protocol::{hub_status, HubResponse};
use modt::unit::HandlerFuture;
use modt::{Context, HandlerError, Message};
use serde_json::Value;

use super::{decode, store_error, Shared};

pub(crate) fn accept(
    h: &Arc<Shared>,
    ctx: Context,
    msg: Message,
) -> Result<HandlerFuture, HandlerError> {
    let req = decode(h, &ctx, &msg)?;
    let live = h
        .store
        .submit_get(req.body.key.clone())
        .map_err(store_error)?;
    let h = h.clone();
    Ok(Box::pin(async move {
        let live = live.wait().await.map_err(store_error)?;
        let (status, value) = match live {
            Some(v) => (hub_status::LIVE, v),
            None => match h.defaults.get(&req.body.key) {
                Some(v) => (hub_status::DEFAULT, v.clone()),
                None => (hub_status::NOT_FOUND, Value::Null),
            },
        };
        let answer = HubResponse::new(req.body.id, req.body.key, status, value);
        ctx.answer(&req.response, &answer).await
    }))
}
