//! Messages waiting for subscribers whose queues are full, one line per subscriber queue.
//!
//! The connection task never waits for a slow subscriber (it may be waiting for this very
//! connection to send its replies). A message a full queue cannot take waits here instead, and
//! so does every later message for that queue, so each queue still gets its messages in
//! arrival order. Other queues are not held up: a subscriber that stops reading delays only
//! itself. Lines are kept per queue, not per subscription, because a unit feeds all its
//! routes through one queue and relies on their relative order.
//!
//! All lines together hold at most [`MAX_BACKLOG`] messages; past that, messages for queues
//! that are full are dropped (the caller logs them).

use std::collections::VecDeque;

use futures::future::BoxFuture;
use futures::stream::FuturesUnordered;
use futures::StreamExt;
use tokio::sync::mpsc::{self, error::TrySendError, OwnedPermit};

use super::held::Delivery;
use super::registry::Registry;

/// Most messages held for subscribers whose queues are full; past this, messages are dropped.
pub const MAX_BACKLOG: usize = 100_000;

/// The messages waiting for one subscriber queue, oldest first.
struct Line {
    key: u64,
    tx: mpsc::Sender<Delivery>,
    queue: VecDeque<Delivery>,
}

/// "A queue has room": the line's key and a reserved slot (`None`: the queue was closed).
type Room = (u64, Option<OwnedPermit<Delivery>>);

/// All lines, and one pending wait for room per line.
#[derive(Default)]
pub(crate) struct Backlog {
    lines: Vec<Line>,
    held: usize,
    next_key: u64,
    room: FuturesUnordered<BoxFuture<'static, Room>>,
}

/// What became of an offered message.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Offer {
    /// In the queue, or waiting in its line.
    Taken,
    /// The queue is closed: its subscription should go.
    Closed,
    /// The backlog is full: the message is lost.
    Dropped,
}

impl Backlog {
    /// Hands `msg` to `tx` now if nothing older waits for it and it has room; else puts it at
    /// the end of `tx`'s line.
    pub(crate) fn offer(&mut self, tx: &mpsc::Sender<Delivery>, msg: Delivery) -> Offer {
        if let Some(line) = self.lines.iter_mut().find(|l| l.tx.same_channel(tx)) {
            if self.held >= MAX_BACKLOG {
                return Offer::Dropped;
            }
            line.queue.push_back(msg);
            self.held += 1;
            return Offer::Taken;
        }
        match tx.try_send(msg) {
            Ok(()) => Offer::Taken,
            Err(TrySendError::Closed(_)) => Offer::Closed,
            Err(TrySendError::Full(msg)) => {
                if self.held >= MAX_BACKLOG {
                    return Offer::Dropped;
                }
                let key = self.next_key;
                self.next_key += 1;
                self.lines.push(Line {
                    key,
                    tx: tx.clone(),
                    queue: VecDeque::from([msg]),
                });
                self.held += 1;
                self.wait_for_room(key, tx.clone());
                Offer::Taken
            }
        }
    }

    /// Waits until some line's queue has room; `None` when no line waits. Cancel-safe: the
    /// waits live in the backlog, not in the returned future.
    pub(crate) async fn room(&mut self) -> Option<Room> {
        if self.room.is_empty() {
            return None;
        }
        self.room.next().await
    }

    /// With room in a line's queue: delivers its oldest message, then as many more as fit, and
    /// waits again if some are left. A closed queue loses its line (and its subscriptions).
    pub(crate) fn deliver(&mut self, registry: &Registry, (key, permit): Room) {
        let Some(at) = self.lines.iter().position(|l| l.key == key) else {
            return;
        };
        let line = &mut self.lines[at];
        let Some(permit) = permit else {
            registry.remove_channel(&line.tx);
            self.held -= line.queue.len();
            self.lines.swap_remove(at);
            return;
        };
        if let Some(msg) = line.queue.pop_front() {
            permit.send(msg);
            self.held -= 1;
        }
        while let Some(msg) = line.queue.pop_front() {
            match line.tx.try_send(msg) {
                Ok(()) => self.held -= 1,
                Err(TrySendError::Full(msg)) => {
                    line.queue.push_front(msg);
                    let tx = line.tx.clone();
                    self.wait_for_room(key, tx);
                    return;
                }
                Err(TrySendError::Closed(_)) => {
                    registry.remove_channel(&line.tx);
                    self.held -= line.queue.len() + 1;
                    self.lines.swap_remove(at);
                    return;
                }
            }
        }
        self.lines.swap_remove(at);
    }

    fn wait_for_room(&mut self, key: u64, tx: mpsc::Sender<Delivery>) {
        self.room.push(Box::pin(
            async move { (key, tx.reserve_owned().await.ok()) },
        ));
    }

    /// Messages held now.
    #[cfg(test)]
    fn held(&self) -> usize {
        self.held
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::client::held::Hold;
    use crate::client::message::{Message, QoS};

    fn msg(topic: &str) -> Delivery {
        let msg = Message {
            topic: topic.to_string(),
            payload: bytes::Bytes::new(),
            qos: QoS::AtLeastOnce,
            retain: false,
            response_topic: None,
            correlation_data: None,
            user_properties: Vec::new(),
        };
        Delivery {
            msg,
            hold: Hold::none(),
        }
    }

    /// A full queue that is never read holds up only itself; its own messages still arrive
    /// in order once it reads again.
    #[tokio::test]
    async fn a_stuck_queue_holds_up_only_itself() {
        let registry = Registry::default();
        let mut backlog = Backlog::default();
        let (stuck_tx, mut stuck_rx) = mpsc::channel(1);
        let (free_tx, mut free_rx) = mpsc::channel(8);
        for i in 0..5 {
            assert_eq!(
                backlog.offer(&stuck_tx, msg(&format!("s/{i}"))),
                Offer::Taken
            );
            assert_eq!(
                backlog.offer(&free_tx, msg(&format!("f/{i}"))),
                Offer::Taken
            );
        }
        for i in 0..5 {
            assert_eq!(free_rx.recv().await.unwrap().msg.topic, format!("f/{i}"));
        }
        assert_eq!(backlog.held(), 4);
        let mut got = Vec::new();
        while got.len() < 5 {
            got.push(stuck_rx.recv().await.unwrap().msg.topic);
            if let Ok(Some(room)) =
                tokio::time::timeout(std::time::Duration::from_secs(1), backlog.room()).await
            {
                backlog.deliver(&registry, room);
            }
        }
        assert_eq!(got, ["s/0", "s/1", "s/2", "s/3", "s/4"]);
        assert_eq!(backlog.held(), 0);
        assert!(backlog.room().await.is_none());
    }

    /// Past MAX_BACKLOG held messages, more for full queues are dropped; a queue with room
    /// still gets its messages.
    #[tokio::test]
    async fn the_backlog_is_bounded() {
        let mut backlog = Backlog::default();
        let (stuck_tx, _stuck_rx) = mpsc::channel(1);
        let (free_tx, mut free_rx) = mpsc::channel(1);
        assert_eq!(backlog.offer(&stuck_tx, msg("first")), Offer::Taken);
        for _ in 0..MAX_BACKLOG {
            assert_eq!(backlog.offer(&stuck_tx, msg("held")), Offer::Taken);
        }
        assert_eq!(backlog.offer(&stuck_tx, msg("lost")), Offer::Dropped);
        assert_eq!(backlog.offer(&free_tx, msg("free")), Offer::Taken);
        assert_eq!(free_rx.recv().await.unwrap().msg.topic, "free");
    }

    /// A closed queue's line goes, and so do its subscriptions.
    #[tokio::test]
    async fn a_closed_queue_loses_its_line() {
        let registry = Registry::default();
        let mut backlog = Backlog::default();
        let (tx, rx) = mpsc::channel(1);
        registry.add(
            crate::TopicFilter::new("a/#").unwrap(),
            QoS::AtLeastOnce,
            super::super::registry::Sink::Channel(tx.clone()),
        );
        backlog.offer(&tx, msg("a/1"));
        backlog.offer(&tx, msg("a/2"));
        assert_eq!(backlog.held(), 1);
        drop(rx);
        let room = backlog.room().await.unwrap();
        backlog.deliver(&registry, room);
        assert_eq!(backlog.held(), 0);
        assert!(registry.matching("a/1").is_empty());
        assert_eq!(backlog.offer(&tx, msg("a/3")), Offer::Closed);
    }
}
