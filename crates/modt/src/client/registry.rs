//! The client's shared tables: subscriptions, pending requests, and SUBACK waiters.
//!
//! Locks here are held only for table updates, never across an `.await`.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use tokio::sync::{mpsc, oneshot};

use super::held::Delivery;
use super::message::{Message, QoS};
use crate::TopicFilter;

/// Where messages matching a subscription go.
#[derive(Debug, Clone)]
pub(crate) enum Sink {
    /// A subscriber's bounded queue.
    Channel(mpsc::Sender<Delivery>),
    /// The client's private reply topic: routed to pending requests.
    Replies,
}

#[derive(Debug, Clone)]
pub(crate) struct SubEntry {
    pub(crate) id: u64,
    pub(crate) filter: TopicFilter,
    pub(crate) qos: QoS,
    pub(crate) sink: Sink,
}

/// The outcome a subscribe caller waits for.
pub(crate) type SubAckWaiter = oneshot::Sender<bool>;

#[derive(Debug, Default)]
pub(crate) struct Registry {
    next_id: AtomicU64,
    subs: Mutex<Vec<SubEntry>>,
    pending: Mutex<HashMap<String, oneshot::Sender<Message>>>,
    /// Waiters in the order their SUBSCRIBE requests were queued; a slot is `None` for
    /// re-subscriptions nobody waits on. Matched to packet ids as the packets go out.
    suback_queue: Mutex<VecDeque<Option<SubAckWaiter>>>,
    suback_by_pkid: Mutex<HashMap<u16, SubAckWaiter>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding one of these short locks cannot leave the tables inconsistent
    // (each update is a single insert/remove), so a poisoned lock is still usable.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Registry {
    pub(crate) fn add(&self, filter: TopicFilter, qos: QoS, sink: Sink) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        lock(&self.subs).push(SubEntry {
            id,
            filter,
            qos,
            sink,
        });
        id
    }

    pub(crate) fn remove(&self, id: u64) {
        lock(&self.subs).retain(|e| e.id != id);
    }

    /// Removes every subscription that feeds `tx` (its receiver is gone).
    pub(crate) fn remove_channel(&self, tx: &mpsc::Sender<Delivery>) {
        lock(&self.subs).retain(|e| !matches!(&e.sink, Sink::Channel(t) if t.same_channel(tx)));
    }

    pub(crate) fn all(&self) -> Vec<SubEntry> {
        lock(&self.subs).clone()
    }

    /// The sinks whose filter matches `topic`.
    pub(crate) fn matching(&self, topic: &str) -> Vec<(u64, Sink)> {
        lock(&self.subs)
            .iter()
            .filter(|e| e.filter.matches(topic))
            .map(|e| (e.id, e.sink.clone()))
            .collect()
    }

    pub(crate) fn expect_reply(&self, request_id: String) -> oneshot::Receiver<Message> {
        let (tx, rx) = oneshot::channel();
        lock(&self.pending).insert(request_id, tx);
        rx
    }

    /// Like [`expect_reply`](Self::expect_reply), but only when no request with this id is
    /// waiting: `None` when one is (its reply must not go to the new one).
    pub(crate) fn expect_new_reply(&self, request_id: &str) -> Option<oneshot::Receiver<Message>> {
        let mut pending = lock(&self.pending);
        if pending.contains_key(request_id) {
            return None;
        }
        let (tx, rx) = oneshot::channel();
        pending.insert(request_id.to_owned(), tx);
        Some(rx)
    }

    pub(crate) fn forget_reply(&self, request_id: &str) {
        lock(&self.pending).remove(request_id);
    }

    /// Hands a reply to its waiting request. Returns false when nobody waits (late reply).
    pub(crate) fn deliver_reply(&self, request_id: &str, msg: Message) -> bool {
        match lock(&self.pending).remove(request_id) {
            Some(tx) => tx.send(msg).is_ok(),
            None => false,
        }
    }

    pub(crate) fn queue_suback(&self, waiter: Option<SubAckWaiter>) {
        lock(&self.suback_queue).push_back(waiter);
    }

    pub(crate) fn subscribe_sent(&self, pkid: u16) {
        if let Some(Some(w)) = lock(&self.suback_queue).pop_front() {
            lock(&self.suback_by_pkid).insert(pkid, w);
        }
    }

    pub(crate) fn suback(&self, pkid: u16, granted: bool) {
        if let Some(w) = lock(&self.suback_by_pkid).remove(&pkid) {
            let _ = w.send(granted);
        }
    }

    /// On a lost connection: everyone waiting for a SUBACK is told "granted", because the
    /// filter stays registered and is subscribed again on reconnect.
    pub(crate) fn connection_lost(&self) {
        for w in lock(&self.suback_queue).drain(..).flatten() {
            let _ = w.send(true);
        }
        for (_, w) in lock(&self.suback_by_pkid).drain() {
            let _ = w.send(true);
        }
    }
}
