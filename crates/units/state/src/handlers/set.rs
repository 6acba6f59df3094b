//! `modt/state/set`: store one key. Legacy: no reply. Correlated: `StateAck` with the new version
//! once the write is on disk.

use std::sync::Arc;
use std::time::Duration;

use modt::protocol::{ChangeOp, StateChanged, StateSet};
use modt::unit::HandlerFuture;
use modt::{Context, HandlerError, Message};

use super::{ack, store_error, Shared};
use crate::store::{Write, WriteOutcome};

pub(crate) fn accept(
    h: &Arc<Shared>,
    ctx: Context,
    msg: Message,
) -> Result<HandlerFuture, HandlerError> {
    let req: StateSet = ctx.decode(&msg)?;
    h.limits.user_id(&req.user_id)?;
    h.limits.key(&req.key)?;
    h.limits.value(&req.value)?;
    let ticket = h
        .store
        .submit(
            ctx.request().retry_key().as_deref(),
            vec![Write::Set {
                user_id: req.user_id.clone(),
                key: req.key.clone(),
                value: req.value.clone(),
                if_version: req.if_version,
                ttl: req.ttl_secs.map(Duration::from_secs),
            }],
        )
        .map_err(store_error)?;
    let h = h.clone();
    Ok(Box::pin(async move {
        let done = ticket.committed().await.map_err(store_error)?;
        let version = match done.outcomes.first() {
            Some(WriteOutcome::Set { version }) => *version,
            _ => 0,
        };
        ack(&ctx, |a| a.version = Some(version)).await?;
        if done.replayed {
            return Ok(());
        }
        let event = StateChanged {
            timestamp: None,
            user_id: req.user_id,
            op: ChangeOp::Set,
            key: Some(req.key),
            value: Some(req.value),
            version: Some(version),
        };
        h.changed(event).await;
        Ok(())
    }))
}
