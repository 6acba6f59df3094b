//! `modt/state/get`: one key → `modt/state/value` (legacy broadcast) or a private reply that
//! also carries the key's version and last write time. A legacy get it cannot use is answered
//! `not_found` as the original answers it ([`StateValueEcho`]), and dead-lettered as well.

use std::sync::Arc;

use modt::protocol::{
    topics, Correlation, StateGet, StateValue, StateValueEcho, Timestamp, ValueStatus,
};
use modt::unit::HandlerFuture;
use modt::{Context, HandlerError, Message};
use serde_json::Value;

use super::{store_error, Shared};

pub(crate) fn accept(
    h: &Arc<Shared>,
    ctx: Context,
    msg: Message,
) -> Result<HandlerFuture, HandlerError> {
    let req = match checked(h, &ctx, &msg) {
        Ok(req) => req,
        Err(e) => return answer_unusable(ctx, msg, e),
    };
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

fn checked(h: &Shared, ctx: &Context, msg: &Message) -> Result<StateGet, HandlerError> {
    let req: StateGet = ctx.decode(msg)?;
    h.limits.user_id(&req.user_id)?;
    h.limits.key(&req.key)?;
    Ok(req)
}

/// A legacy requester gets the original's `not_found` for a get it sent wrong, so it does not
/// wait for nothing; the refusal (`e`: dead letter, error reply when correlated) stands.
fn answer_unusable(
    ctx: Context,
    msg: Message,
    e: HandlerError,
) -> Result<HandlerFuture, HandlerError> {
    let echo = match ctx.request().is_correlated() {
        false => StateValueEcho::for_payload(&msg.payload),
        true => None,
    };
    let Some(echo) = echo else {
        return Err(e);
    };
    Ok(Box::pin(async move {
        ctx.answer(&topics::STATE_VALUE, &echo).await?;
        Err(e)
    }))
}
