//! One file per `modt/state/*` topic, each in three steps: decode and check (in arrival order,
//! so writes keep their order), then apply, then reply.
//!
//! Reads first wait for every write submitted before them, so a client that sets and then gets
//! sees its own write, as with the original's one-message-at-a-time loop.

pub(crate) mod all;
pub(crate) mod bulk;
pub(crate) mod clear;
pub(crate) mod delete;
pub(crate) mod get;
pub(crate) mod keys;
pub(crate) mod set;

use std::sync::Arc;

use modt::protocol::{ErrorCode, StateAck, StateChanged};
use modt::{Context, HandlerError};

use crate::events::EventSink;

use crate::store::{Store, StoreError};
use crate::Limits;

/// What every handler shares.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) limits: Limits,
    /// Where change events go (`modt/state/changed/{user_id}`); `None` when they are off.
    pub(crate) events: Option<EventSink>,
}

/// Sends the write's `StateAck` when the request asked for a private reply; builds nothing
/// for a legacy write, which gets no reply.
pub(crate) async fn ack(
    ctx: &Context,
    fill: impl FnOnce(&mut StateAck),
) -> Result<(), HandlerError> {
    if !ctx.request().is_correlated() {
        return Ok(());
    }
    let mut ack = StateAck::new(ctx.request().request_id.clone());
    fill(&mut ack);
    ctx.reply(&ack).await?;
    Ok(())
}

/// Store errors as the wire sees them (the only place this mapping lives).
pub(crate) fn store_error(e: StoreError) -> HandlerError {
    let code = match &e {
        StoreError::Conflict { .. } => ErrorCode::Conflict,
        StoreError::Unavailable(_) => ErrorCode::Unavailable,
        StoreError::Storage(_) => ErrorCode::Internal,
    };
    HandlerError::new(code, e.to_string())
}

/// A reply too large for one MQTT packet (a user with very many keys), with what to do instead.
pub(crate) fn too_large_hint(e: HandlerError) -> HandlerError {
    if e.code != ErrorCode::TooLarge {
        return e;
    }
    HandlerError::new(
        ErrorCode::TooLarge,
        format!(
            "{}; ask for fewer keys at a time with `prefix` on modt/state/keys/query, or by name with modt/state/bulk/get",
            e.message
        ),
    )
}

impl Shared {
    /// Queues a change event for the unit's event publisher, when events are on.
    pub(crate) async fn changed(&self, event: StateChanged) {
        if let Some(events) = &self.events {
            events.send(event).await;
        }
    }
}
