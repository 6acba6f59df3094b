//! `modt/state/keys/query`: a user's keys (optionally under a prefix) → `modt/state/keys/list`.

use std::sync::Arc;

use modt::protocol::{topics, Correlation, StateKeysList, StateKeysQuery, Timestamp};
use modt::unit::HandlerFuture;
use modt::{Context, HandlerError, Message};

use super::{store_error, too_large_hint, Shared};

pub(crate) fn accept(
    h: &Arc<Shared>,
    ctx: Context,
    msg: Message,
) -> Result<HandlerFuture, HandlerError> {
    let req: StateKeysQuery = ctx.decode(&msg)?;
    h.limits.user_id(&req.user_id)?;
    let barrier = h.store.barrier();
    let h = h.clone();
    Ok(Box::pin(async move {
        barrier.await;
        let keys = h
            .store
            .keys(&req.user_id, req.prefix.as_deref())
            .await
            .map_err(store_error)?;
        let reply = StateKeysList {
            timestamp: Some(Timestamp::now()),
            user_id: req.user_id,
            keys,
            correlation: Correlation::NONE,
        };
        ctx.answer(&topics::STATE_KEYS_LIST, &reply)
            .await
            .map_err(too_large_hint)
    }))
}
