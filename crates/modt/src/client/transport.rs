//! One face over rumqttc's MQTT 3.1.1 and MQTT 5 clients.
//!
//! Owns the translation between rumqttc's per-version types and the SDK's [`Message`],
//! [`Outgoing`] and [`Event`]. Nothing above this module knows which version is spoken.
//! Also owns the broker address in use: given several (the nodes of a broker cluster), a
//! failed poll moves the next connection attempt to the next address ([`Poller::poll`]).

use std::sync::Arc;

use bytes::Bytes;
use rumqttc::v5::mqttbytes::v5 as v5b;
use rumqttc::v5::mqttbytes::QoS as QoS5;

use super::config::{ClientConfig, MqttVersion, MAX_PACKET_BYTES};
use super::message::{Message, Outgoing, QoS};
use super::packet::{from_outgoing, from_packet4, from_packet5, qos4, qos5};
use crate::error::{
    ConnectError, PublishError, PublishErrorKind, SubscribeError, SubscribeErrorKind,
};
use crate::protocol::Namespace;

/// A connection event, version-independent.
#[derive(Debug)]
pub(crate) enum Event {
    /// Connected (or reconnected).
    ConnAck,
    /// A message arrived.
    Publish(Message),
    /// A subscription was answered.
    SubAck { pkid: u16, granted: bool },
    /// A subscribe request went out with this packet id.
    SubscribeSent(u16),
    /// Our DISCONNECT went out: a clean end.
    DisconnectSent,
    /// Anything else.
    Other,
}

/// Why polling failed.
#[derive(Debug)]
pub(crate) enum PollError {
    /// The broker said no at CONNECT (credentials, authorization).
    Refused(String),
    /// Nothing listens at the address (connection refused). Worth retrying for a unit whose
    /// broker is starting; a command-line tool says so at once.
    Unreachable(String),
    /// Anything else: I/O, timeouts, protocol errors. Worth retrying.
    Lost(String),
}

fn io_error(e: &std::io::Error) -> PollError {
    if e.kind() == std::io::ErrorKind::ConnectionRefused {
        PollError::Unreachable("nothing listens there (connection refused)".into())
    } else {
        PollError::Lost(e.to_string())
    }
}

/// A CONNACK refusal code (rumqttc's variant name) in words, for people.
fn refusal(code: &str) -> String {
    match code {
        "BadUserNamePassword" | "BadUserNamePassWord" | "BadUsernamePassword" => {
            "wrong user name or password".into()
        }
        "NotAuthorized" => "this account is not authorized".into(),
        "ServiceUnavailable" | "ServerUnavailable" | "ServerBusy" => {
            "the broker is unavailable or busy".into()
        }
        "BadClientId" | "ClientIdentifierNotValid" | "IdentifierRejected" => {
            "the client id was not accepted".into()
        }
        other => {
            // `QuotaExceeded` → `quota exceeded`.
            let mut words = String::new();
            for (i, c) in other.chars().enumerate() {
                if c.is_uppercase() && i > 0 {
                    words.push(' ');
                }
                words.extend(c.to_lowercase());
            }
            words
        }
    }
}

/// The handle side: sends requests to the event loop, in the namespace's topics.
#[derive(Clone, Debug)]
pub(crate) struct Sender {
    mqtt: MqttSender,
    namespace: Namespace,
}

#[derive(Clone, Debug)]
enum MqttSender {
    V4(rumqttc::AsyncClient),
    V5(rumqttc::v5::AsyncClient),
}

/// The event-loop side; hands out messages with canonical topics.
pub(crate) struct Poller {
    mqtt: MqttPoller,
    namespace: Namespace,
    /// The connection options for each broker address, and which one is in use.
    brokers: Brokers,
}

enum MqttPoller {
    V4(Box<rumqttc::EventLoop>),
    V5(Box<rumqttc::v5::EventLoop>),
}

/// The options of every broker address, in the configured order.
enum BrokerOptions {
    V4(Vec<rumqttc::MqttOptions>),
    V5(Vec<rumqttc::v5::MqttOptions>),
}

struct Brokers {
    options: BrokerOptions,
    labels: Vec<Arc<str>>,
    current: usize,
}

impl Brokers {
    fn len(&self) -> usize {
        self.labels.len()
    }
}

/// Builds the rumqttc client pair for `cfg`, connecting first to `cfg.host:cfg.port`.
pub(crate) fn build(
    cfg: &ClientConfig,
    gate: &rumqttc::ReadGate,
) -> Result<(Sender, Poller), ConnectError> {
    let transport = cfg.tls.as_ref().map(super::tls::transport).transpose()?;
    let mut net = rumqttc::NetworkOptions::new();
    // Without TCP_NODELAY, Nagle adds ~40 ms to every round trip (see shared/research).
    net.set_tcp_nodelay(true);
    // And acknowledge at once: TCP_NODELAY on our side does not help when the broker's side
    // has Nagle on (vendor/rumqttc/src/quickack.rs says how that stalls).
    net.set_tcp_quickack(cfg.tcp_quickack);
    net.set_connection_timeout(cfg.connect_timeout.as_secs().max(1));
    let namespace = cfg.namespace.clone();
    let addresses = cfg.brokers();
    let labels = addresses.iter().map(|a| Arc::from(a.to_string())).collect();
    let (mqtt, poller, options) = match cfg.version {
        MqttVersion::V311 => {
            let all: Vec<_> = addresses
                .iter()
                .map(|a| options4(cfg, &a.host, a.port, transport.clone()))
                .collect();
            let first = all[0].clone();
            let (client, mut eventloop) = rumqttc::AsyncClient::new(first, cfg.queue_capacity);
            eventloop.set_network_options(net);
            eventloop.set_read_gate(gate);
            // A PUBACK waits one scheduler turn for the reply it provokes, and both go out in
            // one write (vendor/rumqttc/MODT-PATCH.md, change 4).
            eventloop.set_coalesce_acks(true);
            (
                MqttSender::V4(client),
                MqttPoller::V4(Box::new(eventloop)),
                BrokerOptions::V4(all),
            )
        }
        MqttVersion::V5 => {
            let all: Vec<_> = addresses
                .iter()
                .map(|a| options5(cfg, &a.host, a.port, transport.clone(), net.clone()))
                .collect();
            let first = all[0].clone();
            let (client, mut eventloop) = rumqttc::v5::AsyncClient::new(first, cfg.queue_capacity);
            eventloop.set_read_gate(gate);
            // A PUBACK waits one scheduler turn for the reply it provokes, and both go out in
            // one write (vendor/rumqttc/MODT-PATCH.md, change 4).
            eventloop.set_coalesce_acks(true);
            (
                MqttSender::V5(client),
                MqttPoller::V5(Box::new(eventloop)),
                BrokerOptions::V5(all),
            )
        }
    };
    let sender = Sender {
        mqtt,
        namespace: namespace.clone(),
    };
    Ok((
        sender,
        Poller {
            mqtt: poller,
            namespace,
            brokers: Brokers {
                options,
                labels,
                current: 0,
            },
        },
    ))
}

/// MQTT 3.1.1 options for one broker address.
fn options4(
    cfg: &ClientConfig,
    host: &str,
    port: u16,
    transport: Option<rumqttc::Transport>,
) -> rumqttc::MqttOptions {
    let mut o = rumqttc::MqttOptions::new(&cfg.client_id, host, port);
    o.set_keep_alive(cfg.keep_alive)
        .set_clean_session(true)
        .set_max_packet_size(MAX_PACKET_BYTES, MAX_PACKET_BYTES)
        .set_inflight(cfg.max_inflight.max(1))
        .set_request_channel_capacity(cfg.queue_capacity);
    if let Some(c) = &cfg.credentials {
        o.set_credentials(&c.username, c.password.expose());
    }
    if let Some(w) = &cfg.last_will {
        o.set_last_will(rumqttc::LastWill::new(
            will_topic(cfg, w),
            w.payload.clone(),
            rumqttc::QoS::AtLeastOnce,
            w.retain,
        ));
    }
    if let Some(t) = transport {
        o.set_transport(t);
    }
    o
}

/// MQTT 5 options for one broker address.
fn options5(
    cfg: &ClientConfig,
    host: &str,
    port: u16,
    transport: Option<rumqttc::Transport>,
    net: rumqttc::NetworkOptions,
) -> rumqttc::v5::MqttOptions {
    let mut o = rumqttc::v5::MqttOptions::new(&cfg.client_id, host, port);
    o.set_keep_alive(cfg.keep_alive)
        .set_clean_start(true)
        .set_max_packet_size(Some(MAX_PACKET_BYTES as u32))
        .set_request_channel_capacity(cfg.queue_capacity)
        .set_outgoing_inflight_upper_limit(cfg.max_inflight.max(1))
        .set_network_options(net);
    if let Some(c) = &cfg.credentials {
        o.set_credentials(&c.username, c.password.expose());
    }
    if let Some(w) = &cfg.last_will {
        o.set_last_will(v5b::LastWill::new(
            will_topic(cfg, w),
            w.payload.clone(),
            QoS5::AtLeastOnce,
            w.retain,
            None,
        ));
    }
    if let Some(t) = transport {
        o.set_transport(t);
    }
    o
}

/// The last will's topic as it goes on the wire.
fn will_topic(cfg: &ClientConfig, w: &super::LastWill) -> String {
    cfg.namespace.to_wire(w.topic.as_str()).into_owned()
}

impl Sender {
    /// Queues a publish. Waits while the request queue is full.
    pub(crate) async fn publish(&self, m: Outgoing) -> Result<(), PublishError> {
        let topic = self.namespace.to_wire(m.topic.as_str()).into_owned();
        match &self.mqtt {
            MqttSender::V4(c) => c
                .publish_bytes(topic, qos4(m.qos), m.retain, m.payload)
                .await
                .map_err(|_| pub_closed()),
            MqttSender::V5(c) => {
                let props = v5b::PublishProperties {
                    response_topic: m.response_topic.map(|t| self.wire(t)),
                    correlation_data: m.correlation_data,
                    user_properties: m.user_properties,
                    ..Default::default()
                };
                c.publish_bytes_with_properties(topic, qos5(m.qos), m.retain, m.payload, props)
                    .await
                    .map_err(|_| pub_closed())
            }
        }
    }

    /// Queues a subscribe.
    pub(crate) async fn subscribe(&self, filter: &str, qos: QoS) -> Result<(), SubscribeError> {
        let filter = self.namespace.to_wire(filter);
        match &self.mqtt {
            MqttSender::V4(c) => c
                .subscribe(filter, qos4(qos))
                .await
                .map_err(|_| sub_closed()),
            MqttSender::V5(c) => c
                .subscribe(filter, qos5(qos))
                .await
                .map_err(|_| sub_closed()),
        }
    }

    /// Queues a DISCONNECT.
    pub(crate) async fn disconnect(&self) -> Result<(), PublishError> {
        match &self.mqtt {
            MqttSender::V4(c) => c.disconnect().await.map_err(|_| pub_closed()),
            MqttSender::V5(c) => c.disconnect().await.map_err(|_| pub_closed()),
        }
    }

    /// A canonical topic as it goes on the wire (no copy in the default namespace).
    fn wire(&self, topic: String) -> String {
        match self.namespace.to_wire(&topic) {
            std::borrow::Cow::Borrowed(_) => topic,
            std::borrow::Cow::Owned(t) => t,
        }
    }
}

/// A topic as received, in canonical form (no copy in the default namespace).
fn canonical(namespace: &Namespace, topic: String) -> String {
    match namespace.from_wire(&topic) {
        std::borrow::Cow::Borrowed(_) => topic,
        std::borrow::Cow::Owned(t) => t,
    }
}

fn pub_closed() -> PublishError {
    PublishError::new(PublishErrorKind::Closed, "the MQTT client is shut down")
}

fn sub_closed() -> SubscribeError {
    SubscribeError::new(SubscribeErrorKind::Closed, "the MQTT client is shut down")
}

/// Most uninteresting events (outgoing packets, acknowledgements) [`Poller::poll`] passes over
/// before returning one anyway, so its caller still gets a turn now and then.
const SKIP_OTHER: usize = 64;

impl Poller {
    /// Drives the connection until the next event of interest (reconnecting if the last poll
    /// failed). Per message, rumqttc reports several packets nobody above needs (our PUBACK,
    /// our outgoing publish, the broker's PUBACK); they are passed over here rather than sent
    /// one by one through the caller's loop.
    ///
    /// After a failure (a connection attempt that failed, or a connection lost), the next
    /// poll connects to the next broker address, if there are several.
    pub(crate) async fn poll(&mut self) -> Result<Event, PollError> {
        let result = self.poll_events().await;
        if result.is_err() {
            self.next_broker();
        }
        result
    }

    /// The broker address in use (connected, or tried next), as people read it.
    pub(crate) fn broker(&self) -> Arc<str> {
        self.brokers.labels[self.brokers.current].clone()
    }

    /// How many broker addresses there are to try.
    pub(crate) fn broker_count(&self) -> usize {
        self.brokers.len()
    }

    /// Points the next connection attempt at the next broker address (round robin).
    fn next_broker(&mut self) {
        let b = &mut self.brokers;
        if b.len() < 2 {
            return;
        }
        b.current = (b.current + 1) % b.len();
        match (&mut self.mqtt, &b.options) {
            (MqttPoller::V4(el), BrokerOptions::V4(all)) => {
                el.mqtt_options = all[b.current].clone()
            }
            (MqttPoller::V5(el), BrokerOptions::V5(all)) => el.options = all[b.current].clone(),
            // `build` makes both of one version.
            _ => {}
        }
    }

    async fn poll_events(&mut self) -> Result<Event, PollError> {
        for _ in 1..SKIP_OTHER {
            match self.poll_once().await {
                Ok(Event::Other) => continue,
                other => return other,
            }
        }
        self.poll_once().await
    }

    /// Drives the connection until rumqttc's next event.
    async fn poll_once(&mut self) -> Result<Event, PollError> {
        let event = self.poll_mqtt().await?;
        if self.namespace.is_default() {
            return Ok(event);
        }
        Ok(match event {
            Event::Publish(mut msg) => {
                msg.topic = canonical(&self.namespace, msg.topic);
                msg.response_topic = msg.response_topic.map(|t| canonical(&self.namespace, t));
                Event::Publish(msg)
            }
            other => other,
        })
    }

    /// Drives the connection until rumqttc's next event, topics as on the wire.
    async fn poll_mqtt(&mut self) -> Result<Event, PollError> {
        match &mut self.mqtt {
            MqttPoller::V4(el) => match el.poll().await {
                Ok(rumqttc::Event::Incoming(p)) => Ok(from_packet4(p)),
                Ok(rumqttc::Event::Outgoing(o)) => Ok(from_outgoing(o)),
                Err(rumqttc::ConnectionError::ConnectionRefused(code)) => {
                    Err(PollError::Refused(refusal(&format!("{code:?}"))))
                }
                Err(rumqttc::ConnectionError::Io(e)) => Err(io_error(&e)),
                Err(e) => Err(PollError::Lost(e.to_string())),
            },
            MqttPoller::V5(el) => match el.poll().await {
                Ok(rumqttc::v5::Event::Incoming(p)) => Ok(from_packet5(p)),
                Ok(rumqttc::v5::Event::Outgoing(o)) => Ok(from_outgoing(o)),
                Err(rumqttc::v5::ConnectionError::ConnectionRefused(code)) => {
                    Err(PollError::Refused(refusal(&format!("{code:?}"))))
                }
                Err(rumqttc::v5::ConnectionError::Io(e)) => Err(io_error(&e)),
                Err(e) => Err(PollError::Lost(e.to_string())),
            },
        }
    }
}

/// Correlation data as text, when it is UTF-8 (MoDT always sends the request id).
pub(crate) fn correlation_text(data: &Option<Bytes>) -> Option<String> {
    data.as_ref()
        .and_then(|b| std::str::from_utf8(b).ok())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::refusal;

    #[test]
    fn refusals_are_said_in_words() {
        assert_eq!(
            refusal(&format!(
                "{:?}",
                rumqttc::ConnectReturnCode::BadUserNamePassword
            )),
            "wrong user name or password"
        );
        assert_eq!(
            refusal(&format!(
                "{:?}",
                rumqttc::v5::mqttbytes::v5::ConnectReturnCode::NotAuthorized
            )),
            "this account is not authorized"
        );
        assert_eq!(refusal("QuotaExceeded"), "quota exceeded");
    }
}
