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
        .submit(vec![Write::Clear {
            user_id: req.user_id.clone(),
        }])
        .map_err(store_error)?;
    let h = h.clone();
    Ok(Box::pin(async move {
        let outcome = ticket.committed().await.map_err(store_error)?;
        let removed = match outcome.first() {
            Some(WriteOutcome::Removed { count }) => *count,
            _ => 0,
        };
        ack(&ctx, |a| a.removed = Some(removed)).await?;
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
