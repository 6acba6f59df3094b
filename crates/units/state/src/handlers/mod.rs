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

use modt::protocol::{topics, ErrorCode, StateChanged, Timestamp};
use modt::{Context, HandlerError, Outgoing, QoS};

use crate::store::{Store, StoreError};
use crate::Limits;

/// What every handler shares.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) limits: Limits,
    /// Publish change events on `modt/state/changed/{user_id}`.
    pub(crate) events: bool,
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

impl Shared {
    /// Publishes a change event (QoS 0: a notification, not the record; the store is the record).
    /// A failure is logged, never fails the write that already committed.
    pub(crate) async fn changed(&self, ctx: &Context, mut event: StateChanged) {
        if !self.events {
            return;
        }
        event.timestamp = Some(Timestamp::now());
        let topic = match topics::state_changed(&event.user_id) {
            Ok(t) => t,
            Err(e) => {
                tracing::warn!(error = %e, "no change-event topic for this user id");
                return;
            }
        };
        let bytes = match modt::protocol::encode(&event) {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(error = %e, "could not encode a change event");
                return;
            }
        };
        if let Err(e) = ctx
            .client()
            .publish(Outgoing::new(topic, bytes).qos(QoS::AtMostOnce))
            .await
        {
            tracing::warn!(error = %e, "could not publish a change event");
        }
    }
}
