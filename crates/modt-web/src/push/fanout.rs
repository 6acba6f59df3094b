//! [`Fanout`]: one source, many bounded client queues, each with its own filter. The source
//! never waits for a client: a full queue skips the item for that client and counts it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use modt::{Message, Subscription};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tracing::debug;

use super::PushError;

/// The bounds of a [`Fanout`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FanoutConfig {
    /// Items queued per client before further ones are skipped for it (at least 1).
    pub per_client: usize,
    /// Clients at once; one more is refused with [`PushError::TooManyClients`].
    pub max_clients: usize,
}

/// What a client reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery<T> {
    /// The next item, oldest first.
    Item(T),
    /// This many items were skipped because the client read too slowly: what it shows may
    /// be stale, so it should reload it.
    Skipped(u64),
}

type Filter<T> = Box<dyn Fn(&T) -> bool + Send + Sync>;

struct Slot<T> {
    id: u64,
    filter: Filter<T>,
    tx: mpsc::Sender<T>,
    skipped: Arc<AtomicU64>,
}

struct Clients<T> {
    slots: Vec<Slot<T>>,
    next_id: u64,
    closed: bool,
}

struct Shared<T> {
    clients: Mutex<Clients<T>>,
    config: FanoutConfig,
}

impl<T> Shared<T> {
    fn lock(&self) -> MutexGuard<'_, Clients<T>> {
        // A panic while holding the lock leaves at worst a stale slot: keep going.
        self.clients.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The hub. Cheap to clone; every clone is the same hub.
pub struct Fanout<T> {
    shared: Arc<Shared<T>>,
}

impl<T> Clone for Fanout<T> {
    fn clone(&self) -> Self {
        Fanout {
            shared: self.shared.clone(),
        }
    }
}

impl<T> std::fmt::Debug for Fanout<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fanout")
            .field("config", &self.shared.config)
            .field("clients", &self.shared.lock().slots.len())
            .finish()
    }
}

impl<T: Clone + Send + 'static> Fanout<T> {
    /// An open hub with no clients.
    pub fn new(config: FanoutConfig) -> Fanout<T> {
        let config = FanoutConfig {
            per_client: config.per_client.max(1),
            ..config
        };
        Fanout {
            shared: Arc::new(Shared {
                clients: Mutex::new(Clients {
                    slots: Vec::new(),
                    next_id: 0,
                    closed: false,
                }),
                config,
            }),
        }
    }

    /// A new client that gets every later item `filter` accepts. Refused when
    /// [`FanoutConfig::max_clients`] are connected, or after [`close`](Self::close).
    pub fn subscribe(
        &self,
        filter: impl Fn(&T) -> bool + Send + Sync + 'static,
    ) -> Result<Receiver<T>, PushError> {
        let mut clients = self.shared.lock();
        if clients.closed {
            return Err(PushError::Closed);
        }
        if clients.slots.len() >= self.shared.config.max_clients {
            return Err(PushError::TooManyClients(self.shared.config.max_clients));
        }
        let (tx, rx) = mpsc::channel(self.shared.config.per_client);
        let skipped = Arc::new(AtomicU64::new(0));
        clients.next_id += 1;
        let id = clients.next_id;
        clients.slots.push(Slot {
            id,
            filter: Box::new(filter),
            tx,
            skipped: skipped.clone(),
        });
        Ok(Receiver {
            id,
            rx,
            skipped,
            shared: self.shared.clone(),
        })
    }

    /// Queues `item` for every client whose filter accepts it, without waiting: a full
    /// queue skips it for that client (counted), a client gone is forgotten. Returns how
    /// many clients it was queued for.
    pub fn send(&self, item: &T) -> usize {
        let mut clients = self.shared.lock();
        let mut queued = 0;
        clients.slots.retain(|slot| {
            if !(slot.filter)(item) {
                return !slot.tx.is_closed();
            }
            match slot.tx.try_send(item.clone()) {
                Ok(()) => {
                    queued += 1;
                    true
                }
                Err(mpsc::error::TrySendError::Full(_)) => {
                    slot.skipped.fetch_add(1, Ordering::Relaxed);
                    true
                }
                Err(mpsc::error::TrySendError::Closed(_)) => false,
            }
        });
        queued
    }

    /// Clients connected now.
    pub fn clients(&self) -> usize {
        self.shared.lock().slots.len()
    }

    /// Ends the hub: every client reads what is queued and then `None`; new clients are
    /// refused.
    pub fn close(&self) {
        let mut clients = self.shared.lock();
        clients.closed = true;
        clients.slots.clear();
    }

    /// Feeds the hub from `sub` until `shutdown` fires or the subscription ends, then
    /// [`close`](Self::close)s it. `on_message` turns each message into what clients get,
    /// usually by calling [`send`](Self::send) (it may do more, under its own lock, such as
    /// keeping a history); it must not wait. Spawn it and keep the handle: it is the task's
    /// owner, and awaiting it after shutdown is the clean stop.
    pub async fn pump<F>(
        self,
        mut sub: Subscription,
        shutdown: CancellationToken,
        mut on_message: F,
    ) where
        F: FnMut(&Fanout<T>, Message) + Send,
    {
        loop {
            let msg = tokio::select! {
                _ = shutdown.cancelled() => break,
                m = sub.recv() => m,
            };
            match msg {
                Some(msg) => on_message(&self, msg),
                None => {
                    debug!("a fan-out's subscription ended");
                    break;
                }
            }
        }
        self.close();
    }
}

/// One client's end. Dropping it leaves the hub.
pub struct Receiver<T> {
    id: u64,
    rx: mpsc::Receiver<T>,
    skipped: Arc<AtomicU64>,
    shared: Arc<Shared<T>>,
}

impl<T> std::fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Receiver").field("id", &self.id).finish()
    }
}

impl<T> Receiver<T> {
    /// The next delivery: [`Delivery::Skipped`] first when items were skipped since the last
    /// read, else the next item. `None` once the hub is closed and the queue read.
    pub async fn recv(&mut self) -> Option<Delivery<T>> {
        let skipped = self.take_skipped();
        if skipped > 0 {
            return Some(Delivery::Skipped(skipped));
        }
        self.rx.recv().await.map(Delivery::Item)
    }

    /// Waits for items, then takes up to `max` of them (oldest first) into `out`. Returns 0
    /// only when the hub is closed; [`take_skipped`](Self::take_skipped) says what was missed.
    pub async fn recv_many(&mut self, out: &mut Vec<T>, max: usize) -> usize {
        self.rx.recv_many(out, max.max(1)).await
    }

    /// Items skipped for this client since the last call.
    pub fn take_skipped(&self) -> u64 {
        self.skipped.swap(0, Ordering::Relaxed)
    }

    /// Replaces the filter: what was queued under the old one is dropped, and the skip
    /// count starts again.
    pub fn set_filter(&mut self, filter: impl Fn(&T) -> bool + Send + Sync + 'static) {
        let mut clients = self.shared.lock();
        while self.rx.try_recv().is_ok() {}
        self.skipped.store(0, Ordering::Relaxed);
        if let Some(slot) = clients.slots.iter_mut().find(|s| s.id == self.id) {
            slot.filter = Box::new(filter);
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.shared.lock().slots.retain(|s| s.id != self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn hub(per_client: usize, max_clients: usize) -> Fanout<u32> {
        Fanout::new(FanoutConfig {
            per_client,
            max_clients,
        })
    }

    #[tokio::test]
    async fn a_slow_client_skips_with_a_marker_and_holds_nobody_up() {
        let fanout = hub(2, 4);
        let mut slow = fanout.subscribe(|_| true).unwrap();
        let mut fast = fanout.subscribe(|_| true).unwrap();
        let mut odd = fanout.subscribe(|n| n % 2 == 1).unwrap();
        for n in 0..2 {
            assert_eq!(fanout.send(&n), 2 + n as usize % 2);
            assert_eq!(fast.recv().await, Some(Delivery::Item(n)));
        }
        for n in 2..5 {
            fanout.send(&n);
            assert_eq!(fast.recv().await, Some(Delivery::Item(n)), "never waits");
        }
        assert_eq!(slow.recv().await, Some(Delivery::Skipped(3)));
        assert_eq!(slow.recv().await, Some(Delivery::Item(0)));
        assert_eq!(slow.recv().await, Some(Delivery::Item(1)));
        assert_eq!(odd.recv().await, Some(Delivery::Item(1)));
        assert_eq!(odd.recv().await, Some(Delivery::Item(3)));
    }

    #[test]
    fn clients_are_limited_and_leave_when_dropped() {
        let fanout = hub(1, 2);
        let a = fanout.subscribe(|_| true).unwrap();
        let _b = fanout.subscribe(|_| true).unwrap();
        assert_eq!(
            fanout.subscribe(|_| true).unwrap_err(),
            PushError::TooManyClients(2)
        );
        drop(a);
        assert_eq!(fanout.clients(), 1);
        assert!(fanout.subscribe(|_| true).is_ok());
    }

    #[tokio::test]
    async fn a_new_filter_forgets_the_old_queue() {
        let fanout = hub(4, 1);
        let mut rx = fanout.subscribe(|n| *n < 10).unwrap();
        fanout.send(&1);
        fanout.send(&20);
        rx.set_filter(|n| *n >= 10);
        fanout.send(&2);
        fanout.send(&30);
        let mut got = Vec::new();
        assert_eq!(rx.recv_many(&mut got, 10).await, 1);
        assert_eq!(got, vec![30]);
    }

    #[tokio::test]
    async fn closing_ends_every_client_after_its_queue() {
        let fanout = hub(4, 4);
        let mut rx = fanout.subscribe(|_| true).unwrap();
        fanout.send(&7);
        fanout.close();
        assert_eq!(rx.recv().await, Some(Delivery::Item(7)));
        assert_eq!(rx.recv().await, None);
        assert_eq!(fanout.subscribe(|_| true).unwrap_err(), PushError::Closed);
        let waiting = tokio::time::timeout(Duration::from_secs(1), rx.recv()).await;
        assert_eq!(
            waiting,
            Ok(None),
            "a closed hub never leaves a client hanging"
        );
    }
}
