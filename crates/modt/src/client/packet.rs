//! rumqttc's packets and QoS as the SDK's [`Event`]s, [`Message`]s and [`QoS`], per MQTT
//! version (topics as on the wire: the namespace is the transport's business).

use rumqttc::v5::mqttbytes::v5 as v5b;
use rumqttc::v5::mqttbytes::QoS as QoS5;

use super::message::{Message, QoS};
use super::transport::Event;

pub(super) fn qos4(q: QoS) -> rumqttc::QoS {
    match q {
        QoS::AtMostOnce => rumqttc::QoS::AtMostOnce,
        QoS::AtLeastOnce => rumqttc::QoS::AtLeastOnce,
        QoS::ExactlyOnce => rumqttc::QoS::ExactlyOnce,
    }
}

pub(super) fn qos5(q: QoS) -> QoS5 {
    match q {
        QoS::AtMostOnce => QoS5::AtMostOnce,
        QoS::AtLeastOnce => QoS5::AtLeastOnce,
        QoS::ExactlyOnce => QoS5::ExactlyOnce,
    }
}

fn from_qos4(q: rumqttc::QoS) -> QoS {
    match q {
        rumqttc::QoS::AtMostOnce => QoS::AtMostOnce,
        rumqttc::QoS::AtLeastOnce => QoS::AtLeastOnce,
        rumqttc::QoS::ExactlyOnce => QoS::ExactlyOnce,
    }
}

fn from_qos5(q: QoS5) -> QoS {
    match q {
        QoS5::AtMostOnce => QoS::AtMostOnce,
        QoS5::AtLeastOnce => QoS::AtLeastOnce,
        QoS5::ExactlyOnce => QoS::ExactlyOnce,
    }
}

pub(super) fn from_outgoing(o: rumqttc::Outgoing) -> Event {
    match o {
        rumqttc::Outgoing::Subscribe(pkid) => Event::SubscribeSent(pkid),
        rumqttc::Outgoing::Disconnect => Event::DisconnectSent,
        _ => Event::Other,
    }
}

pub(super) fn from_packet4(p: rumqttc::Packet) -> Event {
    match p {
        rumqttc::Packet::ConnAck(_) => Event::ConnAck,
        rumqttc::Packet::Publish(p) => Event::Publish(Message {
            topic: p.topic,
            payload: p.payload,
            qos: from_qos4(p.qos),
            retain: p.retain,
            response_topic: None,
            correlation_data: None,
            user_properties: Vec::new(),
        }),
        rumqttc::Packet::SubAck(s) => Event::SubAck {
            pkid: s.pkid,
            granted: s
                .return_codes
                .iter()
                .all(|c| matches!(c, rumqttc::SubscribeReasonCode::Success(_))),
        },
        _ => Event::Other,
    }
}

pub(super) fn from_packet5(p: v5b::Packet) -> Event {
    match p {
        v5b::Packet::ConnAck(_) => Event::ConnAck,
        v5b::Packet::Publish(p) => {
            let (response_topic, correlation_data, user_properties) = match p.properties {
                Some(props) => (
                    props.response_topic,
                    props.correlation_data,
                    props.user_properties,
                ),
                None => (None, None, Vec::new()),
            };
            Event::Publish(Message {
                topic: String::from_utf8_lossy(&p.topic).into_owned(),
                payload: p.payload,
                qos: from_qos5(p.qos),
                retain: p.retain,
                response_topic,
                correlation_data,
                user_properties,
            })
        }
        v5b::Packet::SubAck(s) => Event::SubAck {
            pkid: s.pkid,
            granted: s
                .return_codes
                .iter()
                .all(|c| matches!(c, v5b::SubscribeReasonCode::Success(_))),
        },
        _ => Event::Other,
    }
}
