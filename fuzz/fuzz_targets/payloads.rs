//! Every payload decoder of the protocol, fed arbitrary bytes: none may panic, and whatever
//! decodes must encode again and decode to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use modt::protocol::*;
use modt::{Message, QoS, RequestContext};
use serde::de::DeserializeOwned;
use serde::Serialize;

fn round_trip<T: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug>(data: &[u8]) {
    if let Ok(v) = decode::<T>(data) {
        let bytes = encode(&v).expect("a decoded payload encodes");
        let again: T = decode(&bytes).expect("an encoded payload decodes");
        assert_eq!(again, v);
    }
}

fn decodes<T: DeserializeOwned>(data: &[u8]) {
    let _ = decode::<T>(data);
}

fuzz_target!(|data: &[u8]| {
    round_trip::<AuthSuccess>(data);
    round_trip::<AppReady>(data);
    round_trip::<SessionQuery>(data);
    round_trip::<SessionInfo>(data);
    round_trip::<StateSet>(data);
    round_trip::<StateGet>(data);
    round_trip::<StateValue>(data);
    round_trip::<StateKeysQuery>(data);
    round_trip::<StateKeysList>(data);
    round_trip::<StateAllGet>(data);
    round_trip::<StateAllValue>(data);
    round_trip::<StateDelete>(data);
    round_trip::<StateClear>(data);
    round_trip::<StateAck>(data);
    round_trip::<StateBulkGet>(data);
    round_trip::<StateBulkSet>(data);
    round_trip::<StateBulkValue>(data);
    round_trip::<StateChanged>(data);
    round_trip::<HubRequest>(data);
    round_trip::<HubResponse>(data);
    round_trip::<UnitInfo>(data);
    round_trip::<PingReply>(data);
    round_trip::<ErrorReply>(data);
    round_trip::<Ack>(data);
    decodes::<DeadLetter>(data);
    decodes::<Ping>(data);
    decodes::<serde_json::Map<String, serde_json::Value>>(data);
    let _ = decode_object(data);
    // The correlation probe every unit runs on every message, with and without MQTT 5 props.
    let msg = Message {
        topic: "modt/fuzz".into(),
        payload: bytes::Bytes::copy_from_slice(data),
        qos: QoS::AtLeastOnce,
        retain: false,
        response_topic: std::str::from_utf8(data).ok().map(str::to_string),
        correlation_data: Some(bytes::Bytes::copy_from_slice(data)),
    };
    let _ = RequestContext::from_message(&msg);
    let plain = Message { response_topic: None, correlation_data: None, ..msg };
    let _ = RequestContext::from_message(&plain);
});
