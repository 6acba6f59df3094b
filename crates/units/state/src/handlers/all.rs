//! `modt/state/all/get`: every key of a user → `modt/state/all/value`; a private reply also
//! carries each key's version and last write time in `meta`.

use std::collections::BTreeMap;
use std::sync::Arc;

use modt::protocol::{topics, Correlation, EntryMeta, StateAllGet, StateAllValue, Timestamp};
use modt::unit::HandlerFuture;
use modt::{Context, HandlerError, Message};

use super::{store_error, too_large_hint, Shared};

pub(crate) fn accept(
    h: &Arc<Shared>,
    ctx: Context,
    msg: Message,
) -> Result<HandlerFuture, HandlerError> {
    let req: StateAllGet = ctx.decode(&msg)?;
    h.limits.user_id(&req.user_id)?;
    let barrier = h.store.barrier();
    let h = h.clone();
    Ok(Box::pin(async move {
        barrier.await;
        let rows = h.store.all(&req.user_id).await.map_err(store_error)?;
        let mut data = serde_json::Map::new();
        let mut meta = BTreeMap::new();
        for (key, e) in rows {
            meta.insert(
                key.clone(),
                EntryMeta {
                    version: e.version,
                    updated_at: e.updated_at,
                    expires_at_ms: e.expires_at_ms,
                },
            );
            data.insert(key, e.value);
        }
        let reply = StateAllValue {
            timestamp: Some(Timestamp::now()),
            user_id: req.user_id,
            data,
            meta: ctx.request().is_correlated().then_some(meta),
            correlation: Correlation::NONE,
        };
        ctx.answer(&topics::STATE_ALL_VALUE, &reply)
            .await
            .map_err(too_large_hint)
    }))
}
