//! Bytes a client holds for its subscribers, bounded by pausing reads from the broker.
//!
//! Every message handed to a subscriber queue carries a [`Hold`] on its size until the
//! subscriber is done with it: [`crate::Subscription::recv`] lets go at once, a unit's runtime
//! when the handler finishes. Past [`ClientConfig::max_held_bytes`](crate::ClientConfig) the
//! connection stops reading from the broker (the vendored rumqttc's read gate, `MODT-PATCH.md`
//! change 3) while it still sends replies, acknowledgements and pings (so the broker keeps the
//! connection however long the subscribers take); below half of it, reading resumes. A burst
//! then waits in the broker's queue and in TCP buffers, not in the unit's memory.

use std::sync::{Arc, Mutex, PoisonError};

use super::Message;

/// The default of [`ClientConfig::max_held_bytes`](crate::ClientConfig): 16 MiB.
pub const DEFAULT_MAX_HELD_BYTES: usize = 16 << 20;
/// What a message counts besides its payload and topic (its struct, queue slot, allocation).
const OVERHEAD: usize = 128;

/// The client's count of held bytes and the gate it works.
#[derive(Debug)]
pub(crate) struct Held {
    bytes: Mutex<usize>,
    max: usize,
    gate: rumqttc::ReadGate,
}

impl Held {
    pub(crate) fn new(max: usize, gate: rumqttc::ReadGate) -> Arc<Held> {
        Arc::new(Held {
            bytes: Mutex::new(0),
            max: max.max(1),
            gate,
        })
    }

    /// Holds `msg`'s size until the returned [`Hold`] is dropped.
    pub(crate) fn hold(self: &Arc<Self>, msg: &Message) -> Hold {
        let size = msg.payload.len() + msg.topic.len() + OVERHEAD;
        let mut bytes = self.bytes.lock().unwrap_or_else(PoisonError::into_inner);
        *bytes += size;
        if *bytes > self.max && self.gate.is_open() {
            tracing::debug!(
                held = *bytes,
                max = self.max,
                "subscribers are behind: reading from the broker paused"
            );
            self.gate.close();
        }
        Hold {
            held: Some(Arc::clone(self)),
            size,
        }
    }

    fn release(&self, size: usize) {
        let mut bytes = self.bytes.lock().unwrap_or_else(PoisonError::into_inner);
        *bytes = bytes.saturating_sub(size);
        if *bytes <= self.max / 2 && !self.gate.is_open() {
            tracing::debug!(held = *bytes, "reading from the broker resumed");
            self.gate.open();
        }
    }

    /// Bytes held now.
    #[cfg(test)]
    pub(crate) fn bytes(&self) -> usize {
        *self.bytes.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A message's share of the held bytes; dropping it gives the share back.
#[derive(Debug)]
pub(crate) struct Hold {
    held: Option<Arc<Held>>,
    size: usize,
}

impl Hold {
    /// A hold on nothing (for messages that are not counted).
    #[cfg(test)]
    pub(crate) fn none() -> Hold {
        Hold {
            held: None,
            size: 0,
        }
    }
}

impl Drop for Hold {
    fn drop(&mut self) {
        if let Some(held) = self.held.take() {
            held.release(self.size);
        }
    }
}

/// A message on its way to a subscriber, with its hold.
#[derive(Debug)]
pub(crate) struct Delivery {
    pub(crate) msg: Message,
    pub(crate) hold: Hold,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn msg(payload: usize) -> Message {
        Message {
            topic: "t".into(),
            payload: vec![0u8; payload].into(),
            qos: crate::QoS::AtLeastOnce,
            retain: false,
            response_topic: None,
            correlation_data: None,
            user_properties: Vec::new(),
        }
    }

    #[test]
    fn reading_pauses_past_the_limit_and_resumes_below_half() {
        let gate = rumqttc::ReadGate::new();
        let held = Held::new(10_000, gate.clone());
        let a = held.hold(&msg(4_000));
        let b = held.hold(&msg(4_000));
        assert!(gate.is_open(), "under the limit");
        let c = held.hold(&msg(4_000));
        assert!(!gate.is_open(), "past the limit");
        drop(c);
        assert!(!gate.is_open(), "still above half");
        drop(b);
        assert!(gate.is_open(), "below half");
        drop(a);
        assert_eq!(held.bytes(), 0);
    }
}
