//! Change events on `modt/state/changed/{user_id}`: handlers queue them, one service task
//! publishes them.
//!
//! One publisher instead of one publish per handler: after a group commit thousands of
//! handlers finish at once, and when each publishes by itself they pile up waiting on the
//! client's outgoing queue, where every waiter costs time proportional to the queue of
//! waiters. A single task keeps exactly one publish waiting. The queue is bounded
//! ([`EVENT_QUEUE`]); when it is full, handlers wait, which holds their in-flight permits
//! and so slows intake instead of dropping events.

use modt::protocol::{topics, StateChanged, Timestamp};
use modt::{Outgoing, QoS, ServiceContext, ServiceError};
use tokio::sync::mpsc;

/// Most change events waiting for the publisher.
pub const EVENT_QUEUE: usize = 8192;

/// The handlers' side: queues events for the publisher.
#[derive(Debug, Clone)]
pub(crate) struct EventSink {
    tx: mpsc::Sender<Outgoing>,
}

/// The publisher's side: the receiving end, moved into the unit's `events` service.
pub(crate) struct EventSource {
    rx: mpsc::Receiver<Outgoing>,
}

/// A bounded event queue.
pub(crate) fn channel() -> (EventSink, EventSource) {
    let (tx, rx) = mpsc::channel(EVENT_QUEUE);
    (EventSink { tx }, EventSource { rx })
}

impl EventSink {
    /// Stamps, encodes and queues `event` (QoS 0: a notification, not the record; the store
    /// is the record). A failure is logged and never fails the write that already committed.
    pub(crate) async fn send(&self, mut event: StateChanged) {
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
        let out = Outgoing::new(topic, bytes).qos(QoS::AtMostOnce);
        if self.tx.send(out).await.is_err() {
            tracing::warn!("the change-event publisher has stopped; event not published");
        }
    }
}

impl EventSource {
    /// The `events` service: publishes queued events in queue order until the unit stops,
    /// then publishes what is still queued (handlers have drained by then).
    pub(crate) async fn publish(mut self, ctx: ServiceContext) -> Result<(), ServiceError> {
        let stop = ctx.shutdown.clone();
        let cancelled = stop.cancelled();
        tokio::pin!(cancelled);
        loop {
            let out = tokio::select! {
                biased;
                out = self.rx.recv() => match out {
                    Some(out) => out,
                    None => return Ok(()),
                },
                _ = &mut cancelled => break,
            };
            publish(&ctx, out).await;
        }
        while let Ok(out) = self.rx.try_recv() {
            publish(&ctx, out).await;
        }
        Ok(())
    }
}

async fn publish(ctx: &ServiceContext, out: Outgoing) {
    if let Err(e) = ctx.client.publish(out).await {
        tracing::warn!(error = %e, "could not publish a change event");
    }
}
