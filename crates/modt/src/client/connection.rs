//! The connection task: drives rumqttc's event loop, reconnects with backoff (moving to the
//! next broker address when it has several, the nodes of a cluster), subscribes again after
//! every (re)connect, and routes incoming messages to subscribers and pending requests.
//!
//! One task per client. It never publishes itself (calling into rumqttc's request queue from
//! the polling task can deadlock, rumqtt#1025); re-subscriptions run in child tasks it owns.
//!
//! It also never stops polling to wait for a slow subscriber: the subscriber may be waiting
//! for this very connection to send its replies. A message a full subscription queue cannot
//! take waits in the [`Backlog`], in that queue's own line.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::{debug, error, info, warn};

use super::backlog::{Backlog, Offer};
use super::registry::{Registry, Sink};
use super::transport::{correlation_text, Event, PollError, Poller, Sender};
use crate::error::{ConnectError, ConnectErrorKind};

/// How long the connection is still read after our DISCONNECT went out, until the broker
/// closes it. Closing a socket with unread data in it (the broker's last PUBACKs) makes the
/// kernel reset the connection, and a reset makes the broker drop what it has not read yet:
/// the publishes queued just before the DISCONNECT (seen on the embedded broker: 2 of a burst
/// of 80 QoS 1 messages arrived). Reading until the broker's close lets it take everything.
pub(crate) const DISCONNECT_LINGER: Duration = Duration::from_secs(1);

/// The connection's state as observers see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ConnectionState {
    /// Whether the client is connected now.
    pub connected: bool,
    /// Counts successful connections; a change means "(re)connected".
    pub generation: u64,
}

/// State shared by the [`Client`](crate::Client) handles and the connection task.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) registry: Registry,
    pub(crate) state: watch::Sender<ConnectionState>,
    /// Serialises "queue a SUBACK waiter + queue the SUBSCRIBE" so waiters line up with packets.
    pub(crate) subscribe_lock: tokio::sync::Mutex<()>,
    /// The reply root and `/`.
    pub(crate) reply_prefix: String,
    /// Bytes held for subscribers; past the limit, reading pauses.
    pub(crate) held: Arc<super::held::Held>,
}

/// Reconnection timing.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Backoff {
    pub(crate) min: Duration,
    pub(crate) max: Duration,
}

impl Backoff {
    fn delay(&self, failures: u32) -> Duration {
        let exp = self.min.saturating_mul(1u32 << failures.min(16));
        let capped = exp.min(self.max);
        // Jitter in [50%, 100%] so a fleet of units does not reconnect in lockstep.
        capped.mul_f64(0.5 + fastrand::f64() * 0.5)
    }
}

pub(crate) struct Task {
    pub(crate) poller: Poller,
    pub(crate) sender: Sender,
    pub(crate) shared: Arc<Shared>,
    pub(crate) backoff: Backoff,
    pub(crate) first: Option<oneshot::Sender<Result<(), ConnectError>>>,
    /// Whether the first connection keeps trying while nothing listens at the address.
    pub(crate) wait_for_broker: bool,
    pub(crate) cancel: CancellationToken,
}

impl Task {
    pub(crate) async fn run(self) {
        let Task {
            poller,
            sender,
            shared,
            backoff,
            mut first,
            wait_for_broker,
            cancel,
        } = self;
        // rumqttc's poll must never be dropped half-way: it may have taken a request or an
        // incoming packet and not yet written what follows (the publish, or our PUBACK, which
        // would then never reach the broker). The stream owns the poll in progress, so when
        // the select below picks another branch, that poll resumes on the next turn instead
        // of being dropped.
        // Each failed poll moves the poller to the next broker address; the address an event
        // came from rides along where it is logged (a connection, or a failure).
        let brokers = poller.broker_count();
        let events = futures::stream::unfold(poller, |mut poller| async move {
            let at = poller.broker();
            let event = poller.poll().await;
            Some(((event, at), poller))
        });
        tokio::pin!(events);
        let mut children = JoinSet::new();
        let mut failures: u32 = 0;
        // Addresses found with nothing listening since the last connection.
        let mut unreachable: usize = 0;
        let mut backlog = Backlog::default();
        let mut dropped: u64 = 0;
        // One cancellation waiter for the whole loop (one per event costs two lock round trips).
        let cancelled = cancel.cancelled();
        tokio::pin!(cancelled);
        // Set once our DISCONNECT is out: the connection is read until the broker closes it.
        let mut closing = false;
        let linger = tokio::time::sleep(Duration::MAX);
        tokio::pin!(linger);
        loop {
            let event = tokio::select! {
                _ = &mut cancelled => break,
                _ = &mut linger, if closing => {
                    debug!("the broker kept the connection open after our DISCONNECT; closing it");
                    break;
                }
                Some(room) = backlog.room() => {
                    backlog.deliver(&shared.registry, room);
                    continue;
                }
                Some(e) = events.next() => e,
            };
            let (event, addr) = event;
            match event {
                Ok(Event::ConnAck) => {
                    failures = 0;
                    unreachable = 0;
                    shared.state.send_modify(|s| {
                        s.connected = true;
                        s.generation += 1;
                    });
                    if first.is_some() {
                        debug!(broker = %addr, "connected to the MQTT broker");
                    } else {
                        info!(broker = %addr, "reconnected to the MQTT broker");
                    }
                    // On the first connection, `connect` returns once the subscriptions
                    // are acknowledged (see `resubscribe`).
                    children.spawn(resubscribe(shared.clone(), sender.clone(), first.take()));
                }
                Ok(Event::Publish(msg)) => {
                    if let Some(lost) = route(&shared, msg, &mut backlog) {
                        dropped += 1;
                        if dropped.is_power_of_two() {
                            error!(topic = %lost, dropped, "subscribers are too slow: backlog full, message dropped");
                        }
                    }
                }
                Ok(Event::SubscribeSent(pkid)) => shared.registry.subscribe_sent(pkid),
                Ok(Event::SubAck { pkid, granted }) => shared.registry.suback(pkid, granted),
                Ok(Event::DisconnectSent) => {
                    debug!("DISCONNECT sent; reading until the broker closes");
                    closing = true;
                    linger
                        .as_mut()
                        .reset(tokio::time::Instant::now() + DISCONNECT_LINGER);
                }
                Ok(Event::Other) => {}
                Err(_) if closing => {
                    debug!("disconnected cleanly");
                    break;
                }
                Err(e) => {
                    let was_connected = shared.state.borrow().connected;
                    shared.state.send_modify(|s| s.connected = false);
                    shared.registry.connection_lost();
                    if matches!(e, PollError::Unreachable(_)) {
                        unreachable += 1;
                    }
                    match (&e, first.is_some()) {
                        (PollError::Refused(reason), true) => {
                            if let Some(first) = first.take() {
                                let _ = first.send(Err(ConnectError::new(
                                    ConnectErrorKind::Refused,
                                    format!("the MQTT broker at {addr} refused the connection: {reason}"),
                                )));
                            }
                            break;
                        }
                        (PollError::Refused(reason), false) => {
                            warn!(broker = %addr, %reason, "the broker refused the reconnection")
                        }
                        (PollError::Unreachable(reason), true)
                            if !wait_for_broker && unreachable >= brokers =>
                        {
                            if let Some(first) = first.take() {
                                let _ = first.send(Err(ConnectError::new(
                                    ConnectErrorKind::Unreachable,
                                    match brokers {
                                        1 => format!("could not connect to the MQTT broker at {addr}: {reason}"),
                                        n => format!("could not connect to any of the {n} MQTT brokers (the last, {addr}: {reason})"),
                                    },
                                )));
                            }
                            break;
                        }
                        (PollError::Unreachable(reason) | PollError::Lost(reason), _)
                            if was_connected =>
                        {
                            warn!(broker = %addr, %reason, brokers, "lost the MQTT connection; reconnecting")
                        }
                        (PollError::Unreachable(reason) | PollError::Lost(reason), _) => {
                            debug!(broker = %addr, %reason, "MQTT connection attempt failed")
                        }
                    }
                    let delay = backoff.delay(failures);
                    failures = failures.saturating_add(1);
                    tokio::select! {
                        _ = &mut cancelled => break,
                        _ = tokio::time::sleep(delay) => {}
                    }
                }
            }
        }
        shared.state.send_modify(|s| s.connected = false);
        children.shutdown().await;
    }
}

/// Delivers `msg` to pending requests or subscribers without waiting (subscribers without
/// room get it through the backlog). Returns the topic of a message some subscriber lost
/// because the backlog is full.
fn route(shared: &Shared, msg: super::Message, backlog: &mut Backlog) -> Option<String> {
    let registry = &shared.registry;
    if let Some(rest) = msg.topic.strip_prefix(&shared.reply_prefix) {
        let id = correlation_text(&msg.correlation_data).unwrap_or_else(|| rest.to_owned());
        if !registry.deliver_reply(&id, msg) {
            debug!(request_id = %id, "reply arrived after its request gave up");
        }
        return None;
    }
    let mut lost = None;
    for (id, sink) in registry.matching(&msg.topic) {
        if let Sink::Channel(tx) = sink {
            let delivery = super::held::Delivery {
                hold: shared.held.hold(&msg),
                msg: msg.clone(),
            };
            match backlog.offer(&tx, delivery) {
                Offer::Taken => {}
                Offer::Closed => registry.remove(id),
                Offer::Dropped => lost = Some(msg.topic.clone()),
            }
        }
    }
    lost
}

/// Subscribes every registered filter again after a (re)connect; on the first connection,
/// also tells `connect` it may return.
async fn resubscribe(
    shared: Arc<Shared>,
    sender: Sender,
    first: Option<oneshot::Sender<Result<(), ConnectError>>>,
) {
    // On the first connection, wait for every SUBACK before `connect` returns: otherwise a
    // request sent at once could overtake the subscription of its own reply topic, and the
    // reply would be dropped by the broker (seen as a rare "no reply" right after connecting).
    let mut acks = Vec::new();
    for entry in shared.registry.all() {
        let _guard = shared.subscribe_lock.lock().await;
        let waiter = first.as_ref().map(|_| {
            let (tx, rx) = oneshot::channel();
            acks.push(rx);
            tx
        });
        shared.registry.queue_suback(waiter);
        if sender
            .subscribe(entry.filter.as_str(), entry.qos)
            .await
            .is_err()
        {
            return;
        }
    }
    for ack in acks {
        // A lost connection answers "granted" (the filter is subscribed again on reconnect).
        let _ = ack.await;
    }
    if let Some(first) = first {
        let _ = first.send(Ok(()));
    }
}
