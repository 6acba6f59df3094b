//! The MQTT client: a cheap `Clone` handle over one connection task.
//!
//! - [`config`]: where the broker is and how to reach it.
//! - [`message`]: the version-independent [`Message`] / [`Outgoing`].
//! - [`transport`]: rumqttc's MQTT 3.1.1 and 5 clients behind one face.
//! - [`connection`]: the task that polls, reconnects with backoff and re-subscribes.
//! - [`registry`]: subscriptions, pending requests, SUBACK waiters.
//! - [`request`]: request/reply correlation ([`RequestContext`]).
//! - `exchange`: [`Client::request`] with its [`RequestOptions`], and [`Client::reply`].
//! - `tls`: TLS roots for the broker connection.
//! - `packet`: rumqttc's packets as the SDK's events and messages.
//! - [`held`]: bytes held for subscribers, bounded by pausing reads from the broker.

pub(crate) mod backlog;
pub mod config;
pub(crate) mod connection;
mod exchange;
pub mod held;
pub mod message;
mod packet;
pub(crate) mod registry;
pub mod request;
mod tls;
pub(crate) mod transport;

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::{mpsc, oneshot, watch, Mutex};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use held::{Delivery, Held};

pub use backlog::MAX_BACKLOG;
pub use config::{
    BrokerAddress, ClientConfig, Credentials, LastWill, MqttVersion, Secret, TlsConfig,
    DEFAULT_MAX_UNACKED_PUBLISHES, MAX_BROKER_ADDRESSES, MAX_PACKET_BYTES,
};
pub use connection::ConnectionState;
pub use exchange::{check_error_reply, RequestOptions};
pub use message::{Message, Outgoing, QoS};
pub use request::RequestContext;

use self::connection::{Backoff, Shared, Task};
use self::registry::Sink;
use crate::error::{
    ConnectError, ConnectErrorKind, PublishError, PublishErrorKind, SubscribeError,
    SubscribeErrorKind,
};
use crate::protocol::{self, topics, Namespace};
use crate::{Topic, TopicFilter};

/// A connected MQTT client. Clone it freely: clones share one connection.
///
/// ```no_run
/// # async fn demo() -> Result<(), modt::Error> {
/// use modt::{Client, ClientConfig, RequestOptions, protocol::topics};
/// let client = Client::connect(ClientConfig::new("127.0.0.1", 1883, "demo-1")).await?;
/// let reply = client
///     .request(&topics::ECHO, &serde_json::json!({"hello": "world"}), RequestOptions::new())
///     .await?;
/// println!("{}", reply.text());
/// client.shutdown().await;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    sender: transport::Sender,
    shared: Arc<Shared>,
    client_id: String,
    account: Option<String>,
    reply_root: Topic,
    namespace: Namespace,
    version: MqttVersion,
    request_timeout: Duration,
    subscription_capacity: usize,
    cancel: CancellationToken,
    task: Mutex<Option<JoinHandle<()>>>,
    /// Presence, when requests should fail as soon as their servers go offline.
    directory: std::sync::OnceLock<crate::Directory>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // The last handle is gone: end the connection task (no DISCONNECT, so a last will fires).
        self.cancel.cancel();
    }
}

/// A subscription's stream of messages. Dropping it ends the subscription locally.
#[derive(Debug)]
pub struct Subscription {
    rx: mpsc::Receiver<Delivery>,
}

/// The sending side of a queue several subscriptions share ([`Client::inbox`],
/// [`Client::subscribe_into`]).
#[derive(Debug, Clone)]
pub struct Inbox {
    tx: mpsc::Sender<Delivery>,
}

impl Subscription {
    /// The next message, or `None` once the client is shut down.
    pub async fn recv(&mut self) -> Option<Message> {
        self.rx.recv().await.map(|d| d.msg)
    }

    /// A message that has already arrived, without waiting; `None` when none is queued (or
    /// the client is shut down).
    pub fn try_recv(&mut self) -> Option<Message> {
        self.rx.try_recv().ok().map(|d| d.msg)
    }

    /// The next message with its hold on the client's held bytes, which counts until it is
    /// dropped (a unit's runtime keeps it until the handler is done).
    pub(crate) async fn recv_held(&mut self) -> Option<Delivery> {
        self.rx.recv().await
    }
}

impl Client {
    /// Connects to the broker and waits (up to `connect_timeout`, retrying with backoff) for the
    /// first connection. After that the client reconnects and re-subscribes by itself.
    pub async fn connect(config: ClientConfig) -> Result<Client, ConnectError> {
        let addr = config.brokers_label();
        let account = config.credentials.as_ref().map(|c| c.username.as_str());
        let reply_root = topics::reply_root(account, &config.client_id).map_err(|e| {
            ConnectError::new(
                ConnectErrorKind::InvalidConfig,
                format!(
                    "client id {:?} (or username {account:?}) cannot be a topic level: {e}",
                    config.client_id
                ),
            )
            .with_source(e)
        })?;
        let gate = rumqttc::ReadGate::new();
        let (sender, poller) = transport::build(&config, &gate)?;
        let (state, _) = watch::channel(ConnectionState::default());
        let shared = Arc::new(Shared {
            registry: Default::default(),
            state,
            subscribe_lock: Mutex::new(()),
            reply_prefix: format!("{reply_root}/"),
            held: Held::new(config.max_held_bytes, gate),
        });
        shared
            .registry
            .add(reply_root.subtree(), QoS::AtLeastOnce, Sink::Replies);
        let cancel = CancellationToken::new();
        let (first_tx, first_rx) = oneshot::channel();
        let task = Task {
            poller,
            sender: sender.clone(),
            shared: shared.clone(),
            backoff: Backoff {
                min: config.reconnect_min,
                max: config.reconnect_max,
            },
            first: Some(first_tx),
            wait_for_broker: config.wait_for_broker,
            cancel: cancel.clone(),
        };
        let handle = tokio::spawn(task.run());
        let client = Client {
            inner: Arc::new(Inner {
                sender,
                shared,
                client_id: config.client_id.clone(),
                account: account.map(str::to_owned),
                reply_root,
                namespace: config.namespace.clone(),
                version: config.version,
                request_timeout: config.request_timeout,
                subscription_capacity: config.subscription_capacity,
                cancel,
                task: Mutex::new(Some(handle)),
                directory: std::sync::OnceLock::new(),
            }),
        };
        match tokio::time::timeout(config.connect_timeout, first_rx).await {
            Ok(Ok(Ok(()))) => Ok(client),
            Ok(Ok(Err(e))) => {
                client.abort().await;
                Err(e)
            }
            Ok(Err(_)) => Err(ConnectError::new(
                ConnectErrorKind::Closed,
                "the MQTT client's connection task ended",
            )),
            Err(_) => {
                client.abort().await;
                Err(ConnectError::new(
                    ConnectErrorKind::TimedOut,
                    format!(
                        "could not connect to the MQTT broker at {addr}: no connection within {:?}",
                        config.connect_timeout
                    ),
                ))
            }
        }
    }

    /// This client's MQTT client id.
    pub fn client_id(&self) -> &str {
        &self.inner.client_id
    }

    /// The broker account (username) this client logs in with, if any.
    pub fn account(&self) -> Option<&str> {
        self.inner.account.as_deref()
    }

    /// The protocol version spoken.
    pub fn version(&self) -> MqttVersion {
        self.inner.version
    }

    /// The topic namespace this client speaks on the wire ([`ClientConfig::namespace`]).
    pub fn namespace(&self) -> &Namespace {
        &self.inner.namespace
    }

    /// `modt/reply/{client_id}`: the root of this client's private reply topics.
    pub fn reply_root(&self) -> &Topic {
        &self.inner.reply_root
    }

    /// Watches the connection: `generation` changes on every (re)connect.
    pub fn connection(&self) -> watch::Receiver<ConnectionState> {
        self.inner.shared.state.subscribe()
    }

    /// Subscribes to `filter`, returning a bounded stream of matching messages.
    pub async fn subscribe(
        &self,
        filter: &TopicFilter,
        qos: QoS,
    ) -> Result<Subscription, SubscribeError> {
        let (inbox, subscription) = self.inbox();
        self.subscribe_into(filter, qos, &inbox).await?;
        Ok(subscription)
    }

    /// An empty queue (of [`ClientConfig::subscription_capacity`]) for
    /// [`Client::subscribe_into`]: several filters can feed one [`Subscription`], in arrival
    /// order. It ends when every [`Inbox`] handle and subscription feeding it are gone.
    pub fn inbox(&self) -> (Inbox, Subscription) {
        let (tx, rx) = mpsc::channel(self.inner.subscription_capacity);
        (Inbox { tx }, Subscription { rx })
    }

    /// Subscribes to `filter`, delivering matching messages into `inbox` (several filters may
    /// share one queue). Waits for the broker's SUBACK when connected; when not, the
    /// subscription is made on the next connect.
    pub async fn subscribe_into(
        &self,
        filter: &TopicFilter,
        qos: QoS,
        inbox: &Inbox,
    ) -> Result<(), SubscribeError> {
        let shared = &self.inner.shared;
        let id = shared
            .registry
            .add(filter.clone(), qos, Sink::Channel(inbox.tx.clone()));
        if !shared.state.borrow().connected {
            return Ok(());
        }
        let (wtx, wrx) = oneshot::channel();
        {
            let _guard = shared.subscribe_lock.lock().await;
            shared.registry.queue_suback(Some(wtx));
            self.inner.sender.subscribe(filter.as_str(), qos).await?;
        }
        match tokio::time::timeout(self.inner.request_timeout, wrx).await {
            Ok(Ok(true)) => Ok(()),
            Ok(Ok(false)) => {
                shared.registry.remove(id);
                Err(SubscribeError::new(
                    SubscribeErrorKind::Refused,
                    format!("the broker refused the subscription to {filter}"),
                ))
            }
            Ok(Err(_)) => Err(SubscribeError::new(
                SubscribeErrorKind::Closed,
                "the MQTT client is shut down",
            )),
            Err(_) => Err(SubscribeError::new(
                SubscribeErrorKind::TimedOut,
                format!(
                    "no answer to the subscription to {filter} within {:?}",
                    self.inner.request_timeout
                ),
            )),
        }
    }

    /// Publishes a message. Waits while the outgoing queue is full.
    ///
    /// A message over [`MAX_PACKET_BYTES`] is refused here ([`PublishErrorKind::TooLarge`]): handed
    /// to the connection, it would end it (the client refuses to send it, or the receiver
    /// refuses to read it), and take every unacknowledged message with it.
    pub async fn publish(&self, msg: Outgoing) -> Result<(), PublishError> {
        // On the wire, the topic and response topic carry the namespace instead of `modt`.
        let longer = self.inner.namespace.extra_bytes().max(0).unsigned_abs();
        let bytes = msg.packet_bytes() + 2 * longer;
        if bytes > MAX_PACKET_BYTES {
            return Err(PublishError::new(
                PublishErrorKind::TooLarge,
                format!(
                    "a message for {} would be {bytes} bytes; the MQTT packet limit is {MAX_PACKET_BYTES}",
                    msg.topic
                ),
            ));
        }
        self.inner.sender.publish(msg).await
    }

    /// Publishes `payload` as JSON with QoS 1.
    pub async fn publish_json<T: Serialize + ?Sized>(
        &self,
        topic: &Topic,
        payload: &T,
    ) -> Result<(), PublishError> {
        self.publish_json_qos(topic, payload, QoS::AtLeastOnce)
            .await
    }

    /// Publishes `payload` as JSON with `qos`.
    pub async fn publish_json_qos<T: Serialize + ?Sized>(
        &self,
        topic: &Topic,
        payload: &T,
        qos: QoS,
    ) -> Result<(), PublishError> {
        let bytes = protocol::encode(payload).map_err(|e| {
            PublishError::new(
                PublishErrorKind::Encode,
                format!("could not encode the payload for {topic}: {e}"),
            )
            .with_source(e)
        })?;
        self.publish(Outgoing::new(topic.clone(), bytes).qos(qos))
            .await
    }

    /// Disconnects cleanly: queued publishes are sent before the DISCONNECT. Waits up to two
    /// seconds for the connection task to finish, then stops it.
    pub async fn shutdown(&self) {
        let handle = self.inner.task.lock().await.take();
        let Some(mut handle) = handle else { return };
        // Read the flag first: a watch borrow must not be held across an await.
        let connected = self.inner.shared.state.borrow().connected;
        if connected
            && self.inner.sender.disconnect().await.is_ok()
            && tokio::time::timeout(Duration::from_secs(2), &mut handle)
                .await
                .is_ok()
        {
            return;
        }
        self.inner.cancel.cancel();
        let _ = handle.await;
    }

    /// Stops the connection task at once, without a DISCONNECT (the broker will fire the last will).
    pub async fn abort(&self) {
        self.inner.cancel.cancel();
        if let Some(handle) = self.inner.task.lock().await.take() {
            let _ = handle.await;
        }
    }
}
