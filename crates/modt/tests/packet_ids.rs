//! The vendored rumqttc's packet ids (`vendor/rumqttc/MODT-PATCH.md`, change 5): with nothing in
//! flight, the next QoS 1 publish takes id 1 again, so the client's table of publishes in flight
//! (grown as ids are used) stays as long as the most ever in flight at once, instead of the
//! whole in-flight limit (1,024 slots, ~230 KB per client) from the start. Both MQTT versions:
//! the same tests on each version's state, publish and acknowledgement.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

/// The in-flight limit the SDK gives every client.
const MAX_INFLIGHT: u16 = modt::DEFAULT_MAX_UNACKED_PUBLISHES;

/// The tests, in module `$version`, given that version's imports, a QoS 1 publish and the
/// acknowledgement of a packet id.
macro_rules! packet_id_tests {
    ($version:ident { $($imports:item)* } publish: $publish:expr, ack: $ack:expr $(,)?) => {
        mod $version {
            $($imports)*

            fn publish(state: &mut MqttState) -> u16 {
                match state.handle_outgoing_packet(Request::Publish($publish)).unwrap() {
                    Some(Packet::Publish(p)) => p.pkid,
                    other => panic!("not a publish: {other:?}"),
                }
            }

            fn ack(state: &mut MqttState, pkid: u16) {
                let ack: fn(u16) -> PubAck = $ack;
                state
                    .handle_incoming_packet(Incoming::PubAck(ack(pkid)))
                    .unwrap();
            }

            #[test]
            fn ids_start_again_at_one_when_nothing_is_in_flight() {
                let mut state = MqttState::new(super::MAX_INFLIGHT, false);
                for _ in 0..3 {
                    let ids: Vec<u16> = (0..5).map(|_| publish(&mut state)).collect();
                    assert_eq!(ids, [1, 2, 3, 4, 5]);
                    ids.into_iter().for_each(|id| ack(&mut state, id));
                }
                // With one still in flight, ids go on.
                let (a, b) = (publish(&mut state), publish(&mut state));
                ack(&mut state, a);
                assert_eq!(publish(&mut state), 3, "{b} is still in flight");
            }

            #[test]
            fn ids_still_wrap_at_the_in_flight_limit() {
                let mut state = MqttState::new(4, false);
                let ids: Vec<u16> = (0..4).map(|_| publish(&mut state)).collect();
                assert_eq!(ids, [1, 2, 3, 4]);
                ack(&mut state, 1);
                assert_eq!(publish(&mut state), 1, "wraps while 2..=4 are in flight");
            }
        }
    };
}

packet_id_tests!(v311 {
    use rumqttc::{Incoming, MqttState, Packet, PubAck, Publish, QoS, Request};
}
    publish: Publish::new("modt/test", QoS::AtLeastOnce, vec![1]),
    ack: PubAck::new,
);

packet_id_tests!(v5 {
    use rumqttc::v5::mqttbytes::v5::{Packet, PubAck, Publish};
    use rumqttc::v5::mqttbytes::QoS;
    use rumqttc::v5::{Incoming, MqttState, Request};
}
    publish: Publish::new("modt/test", QoS::AtLeastOnce, vec![1], None),
    ack: |pkid| PubAck::new(pkid, None),
);
