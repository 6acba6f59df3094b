//! Messages as the SDK hands them to user code, independent of the MQTT version.

use bytes::Bytes;
use serde::de::DeserializeOwned;

use crate::protocol::{decode, DecodeError};

/// MQTT quality of service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum QoS {
    /// At most once.
    AtMostOnce,
    /// At least once (the MoDT default).
    #[default]
    AtLeastOnce,
    /// Exactly once.
    ExactlyOnce,
}

impl QoS {
    /// The QoS level number, 0–2.
    pub fn level(self) -> u8 {
        match self {
            QoS::AtMostOnce => 0,
            QoS::AtLeastOnce => 1,
            QoS::ExactlyOnce => 2,
        }
    }

    /// The QoS for a level number; anything above 2 is refused.
    pub fn from_level(level: u8) -> Option<Self> {
        match level {
            0 => Some(QoS::AtMostOnce),
            1 => Some(QoS::AtLeastOnce),
            2 => Some(QoS::ExactlyOnce),
            _ => None,
        }
    }
}

/// A message received from the broker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The topic it was published to.
    pub topic: String,
    /// The raw payload.
    pub payload: Bytes,
    /// The QoS it was delivered with.
    pub qos: QoS,
    /// Whether it came from the broker's retained store.
    pub retain: bool,
    /// MQTT 5 response-topic property.
    pub response_topic: Option<String>,
    /// MQTT 5 correlation-data property.
    pub correlation_data: Option<Bytes>,
    /// MQTT 5 user properties, name and value, in the order sent (a request's headers,
    /// [`RequestOptions::header`](crate::RequestOptions::header)); empty on MQTT 3.1.1.
    pub user_properties: Vec<(String, String)>,
}

impl Message {
    /// Decodes the payload as a JSON object of type `T`.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, DecodeError> {
        decode(&self.payload)
    }

    /// The first value of header (MQTT 5 user property) `name`.
    ///
    /// ```
    /// # let msg = modt::Message { topic: "modt/echo".into(), payload: Default::default(),
    /// #     qos: modt::QoS::AtLeastOnce, retain: false, response_topic: None,
    /// #     correlation_data: None, user_properties: vec![("trace-id".into(), "4bf9".into())] };
    /// assert_eq!(msg.header("trace-id"), Some("4bf9"));
    /// assert_eq!(msg.header("other"), None);
    /// ```
    pub fn header(&self, name: &str) -> Option<&str> {
        self.user_properties
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The payload as UTF-8 text, lossily.
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.payload)
    }
}

/// A message to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// Where it goes.
    pub topic: crate::Topic,
    /// The payload.
    pub payload: Bytes,
    /// QoS to publish with.
    pub qos: QoS,
    /// Whether the broker should retain it.
    pub retain: bool,
    /// MQTT 5 response-topic property (ignored on 3.1.1).
    pub response_topic: Option<String>,
    /// MQTT 5 correlation-data property (ignored on 3.1.1).
    pub correlation_data: Option<Bytes>,
    /// MQTT 5 user properties, name and value (ignored on 3.1.1).
    pub user_properties: Vec<(String, String)>,
}

impl Outgoing {
    /// The size of this message as an MQTT PUBLISH packet, counted generously (the MQTT 5
    /// layout, whose properties 3.1.1 leaves out).
    pub fn packet_bytes(&self) -> usize {
        let properties = 4
            + self.response_topic.as_ref().map_or(0, |t| 3 + t.len())
            + self.correlation_data.as_ref().map_or(0, |c| 3 + c.len())
            + self
                .user_properties
                .iter()
                .map(|(k, v)| 5 + k.len() + v.len())
                .sum::<usize>();
        // fixed header (≤ 5) + topic (2 + len) + packet id (2) + properties + payload
        5 + 2 + self.topic.as_str().len() + 2 + properties + self.payload.len()
    }

    /// A QoS 1, non-retained message.
    pub fn new(topic: crate::Topic, payload: impl Into<Bytes>) -> Self {
        Outgoing {
            topic,
            payload: payload.into(),
            qos: QoS::AtLeastOnce,
            retain: false,
            response_topic: None,
            correlation_data: None,
            user_properties: Vec::new(),
        }
    }

    /// Sets the QoS.
    pub fn qos(mut self, qos: QoS) -> Self {
        self.qos = qos;
        self
    }

    /// Sets the retain flag.
    pub fn retain(mut self, retain: bool) -> Self {
        self.retain = retain;
        self
    }
}
