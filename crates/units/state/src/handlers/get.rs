//! `modt/state/get`: one key → `modt/state/value` (legacy broadcast) or a private reply that
//! also carries the key's version and last write time.

use std::sync::Arc;

use modt::protocol::{topics, Correlation, StateGet, StateValue, Timestamp, ValueStatus};
use modt::unit::HandlerFuture;
use modt::{Context, HandlerError, Message};
use serde_json::Value;

use super::{store_error, Shared};

pub(crate) fn accept(
    h: &Arc<Shared>,
    ctx: Context,
    msg: Message,
) -> Result<HandlerFuture, HandlerError> {
    let req: StateGet = ctx.decode(&msg)?;
    h.limits.user_id(&req.user_id)?;
    h.limits.key(&req.key)?;
    let barrier = h.store.barrier();
    let h = h.clone();
    Ok(Box::pin(async move {
        barrier.await;
        let entry = h
            .store
            .get(&req.user_id, &req.key)
            .await
            .map_err(store_error)?;
        let correlated = ctx.request().is_correlated();
        let mut reply = StateValue {
            timestamp: Some(Timestamp::now()),
            user_id: req.user_id,
            key: req.key,
            value: Value::Null,
            status: ValueStatus::NotFound,
            version: None,
            updated_at: None,
            correlation: Correlation::NONE,
        };
        if let Some(e) = entry {
            reply.value = e.value;
            reply.status = ValueStatus::Valid;
            if correlated {
                reply.version = Some(e.version);
                reply.updated_at = Some(e.updated_at);
            }
        }
        ctx.answer(&topics::STATE_VALUE, &reply).await
    }))
}
