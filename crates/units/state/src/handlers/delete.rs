//! `modt/state/delete`: delete one key. Correlated: `StateAck` with `removed` (0 or 1) after commit.

use std::sync::Arc;

use modt::protocol::{ChangeOp, StateChanged, StateDelete};
use modt::unit::HandlerFuture;
use modt::{Context, HandlerError, Message};

use super::{ack, store_error, Shared};
use crate::store::{Write, WriteOutcome};

pub(crate) fn accept(
    h: &Arc<Shared>,
    ctx: Context,
    msg: Message,
) -> Result<HandlerFuture, HandlerError> {
    let req: StateDelete = ctx.decode(&msg)?;
    h.limits.user_id(&req.user_id)?;
    h.limits.key(&req.key)?;
    let ticket = h
        .store
        .submit(
            ctx.request().retry_key().as_deref(),
            vec![Write::Delete {
                user_id: req.user_id.clone(),
                key: req.key.clone(),
                if_version: req.if_version,
            }],
        )
        .map_err(store_error)?;
    let h = h.clone();
    Ok(Box::pin(async move {
        let done = ticket.committed().await.map_err(store_error)?;
        let deleted = match done.outcomes.first() {
            Some(WriteOutcome::Deleted { version }) => *version,
            _ => None,
        };
        ack(&ctx, |a| a.removed = Some(u64::from(deleted.is_some()))).await?;
        if let Some(version) = deleted.filter(|_| !done.replayed) {
            let event = StateChanged {
                timestamp: None,
                user_id: req.user_id,
                op: ChangeOp::Delete,
                key: Some(req.key),
                value: None,
                version: Some(version),
            };
            h.changed(event).await;
        }
        Ok(())
    }))
}
