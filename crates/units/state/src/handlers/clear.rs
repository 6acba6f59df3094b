//! `modt/state/clear`: delete all of a user's keys. Correlated: `StateAck` with `removed`.

use std::sync::Arc;

use modt::protocol::{ChangeOp, StateChanged, StateClear};
use modt::unit::HandlerFuture;
use modt::{Context, HandlerError, Message};

use super::{ack, store_error, Shared};
use crate::store::{Write, WriteOutcome};

pub(crate) fn accept(
    h: &Arc<Shared>,
    ctx: Context,
    msg: Message,
) -> Result<HandlerFuture, HandlerError> {
    let req: StateClear = ctx.decode(&msg)?;
    h.limits.user_id(&req.user_id)?;
    let ticket = h
        .store
        .submit(
            ctx.request().retry_key().as_deref(),
            vec![Write::Clear {
                user_id: req.user_id.clone(),
            }],
        )
        .map_err(store_error)?;
    let h = h.clone();
    Ok(Box::pin(async move {
        let done = ticket.committed().await.map_err(store_error)?;
        let removed = match done.outcomes.first() {
            Some(WriteOutcome::Removed { count }) => *count,
            _ => 0,
        };
        ack(&ctx, |a| a.removed = Some(removed)).await?;
        if done.replayed {
            return Ok(());
        }
        let event = StateChanged {
            timestamp: None,
            user_id: req.user_id,
            op: ChangeOp::Clear,
            key: None,
            value: None,
            version: None,
        };
        h.changed(event).await;
        Ok(())
    }))
}
