//! Checks of the `protocol_payloads` fuzz target: one payload of arbitrary bytes, as every
//! unit receives it. None of this may panic, and:
//! - every payload type of `modt::protocol` that decodes encodes again and decodes to the
//!   same value;
//! - the state unit's limits (`modt_state::Limits`) refuse exactly the user ids, keys, values
//!   and bulk sizes over their limit (`too_large`) or empty (`bad_request`), at the default
//!   limits and at tiny ones;
//! - `limits::json_len` is the length of the compact JSON text;
//! - the legacy echo (`StateValueEcho::for_payload`) answers exactly the JSON objects, with
//!   their `user_id` and `key`; `as_the_original_stores` takes any value;
//! - the correlation probe (`RequestContext::from_message`, run on every message) reads the
//!   same `request_id` and `reply_to` as a full decode, cuts the id to its limit and keeps
//!   only private reply topics, with and without MQTT 5 properties.

#![allow(clippy::expect_used)]

use modt::protocol::*;
use modt::{limits, HandlerError, Message, QoS, RequestContext};
use modt_state::Limits;
use serde_json::Value;

/// Decodes `$data` as each type; what decodes must round-trip.
macro_rules! round_trip {
    ($data:expr, $($t:ty),+ $(,)?) => {$(
        if let Ok(v) = decode::<$t>($data) {
            let bytes = encode(&v).expect("a decoded payload encodes");
            let again: $t = decode(&bytes).expect("an encoded payload decodes");
            assert_eq!(again, v, "{}", stringify!($t));
        }
    )+};
}

/// Limits small enough for short inputs to cross them.
const TINY: Limits = Limits {
    key_bytes: 4,
    user_id_bytes: 4,
    value_bytes: 8,
    bulk_keys: 2,
};

/// Runs every check on one input.
pub(crate) fn check(data: &[u8]) {
    round_trip!(
        data,
        AuthSuccess,
        AppReady,
        SessionQuery,
        SessionInfo,
        StateSet,
        StateGet,
        StateValue,
        StateValueEcho,
        StateKeysQuery,
        StateKeysList,
        StateAllGet,
        StateAllValue,
        StateDelete,
        StateClear,
        StateAck,
        StateBulkGet,
        StateBulkSet,
        StateBulkValue,
        StateChanged,
        HubRequest,
        HubResponse,
        HubAck,
        UnitInfo,
        PingReply,
        ErrorReply,
        Ack,
        Correlation,
    );
    let _ = decode::<DeadLetter>(data);
    let _ = decode::<Ping>(data);
    legacy(data);
    for l in [Limits::default(), TINY] {
        state_limits(&l, data);
    }
    correlation(data);
}

fn legacy(data: &[u8]) {
    let object = decode_object(data);
    if let Ok(o) = &object {
        assert!(o.is_object());
    }
    let echo = StateValueEcho::for_payload(data);
    assert_eq!(
        echo.is_some(),
        object.is_ok(),
        "the echo answers every object"
    );
    if let (Some(echo), Ok(o)) = (echo, &object) {
        assert_eq!(
            echo.user_id,
            o.get("user_id").cloned().unwrap_or(Value::Null)
        );
        assert_eq!(echo.key, o.get("key").cloned().unwrap_or(Value::Null));
        assert_eq!(echo.status, ValueStatus::NotFound);
    }
    if let Ok(Value::Object(o)) = object {
        for v in o.values() {
            let _ = as_the_original_stores(v);
        }
    }
}

fn text_limit(what: &str, result: Result<(), HandlerError>, text: &str, max: usize) {
    match result {
        Ok(()) => assert!(
            !text.is_empty() && text.len() <= max,
            "{what} {text:?} passed"
        ),
        Err(e) if text.is_empty() => assert_eq!(e.code, ErrorCode::BadRequest, "{what}"),
        Err(e) => {
            assert!(text.len() > max, "{what} {text:?} refused: {}", e.message);
            assert_eq!(e.code, ErrorCode::TooLarge, "{what}");
        }
    }
}

fn value_limit(l: &Limits, v: &Value) {
    let len = limits::json_len(v);
    assert_eq!(
        len,
        serde_json::to_vec(v).map_or(0, |t| t.len()),
        "json_len of {v}"
    );
    match l.value(v) {
        Ok(()) => assert!(len <= l.value_bytes, "value of {len} bytes passed"),
        Err(e) => {
            assert!(len > l.value_bytes, "value of {len} bytes refused");
            assert_eq!(e.code, ErrorCode::TooLarge);
        }
    }
}

fn bulk_limit(l: &Limits, n: usize) {
    assert_eq!(l.bulk(n).is_ok(), n <= l.bulk_keys, "{n} keys");
}

/// What the state unit's handlers check on each request before touching the store.
fn state_limits(l: &Limits, data: &[u8]) {
    let user = |u: &str| text_limit("user_id", l.user_id(u), u, l.user_id_bytes);
    let key = |k: &str| text_limit("key", l.key(k), k, l.key_bytes);
    if let Ok(r) = decode::<StateSet>(data) {
        user(&r.user_id);
        key(&r.key);
        value_limit(l, &r.value);
    }
    if let Ok(r) = decode::<StateGet>(data) {
        user(&r.user_id);
        key(&r.key);
    }
    if let Ok(r) = decode::<StateDelete>(data) {
        user(&r.user_id);
        key(&r.key);
    }
    if let Ok(r) = decode::<StateBulkGet>(data) {
        user(&r.user_id);
        bulk_limit(l, r.keys.len());
        for k in &r.keys {
            key(k);
        }
    }
    if let Ok(r) = decode::<StateBulkSet>(data) {
        user(&r.user_id);
        bulk_limit(l, r.entries.len());
        for e in &r.entries {
            key(&e.key);
            value_limit(l, &e.value);
        }
    }
}

fn message(data: &[u8], properties: bool) -> Message {
    Message {
        topic: "modt/fuzz".into(),
        payload: data.to_vec().into(),
        qos: QoS::AtLeastOnce,
        retain: false,
        response_topic: properties.then(|| String::from_utf8_lossy(data).into_owned()),
        correlation_data: properties.then(|| data.to_vec().into()),
        user_properties: Vec::new(),
    }
}

fn correlation(data: &[u8]) {
    for properties in [false, true] {
        let ctx = RequestContext::from_message(&message(data, properties));
        assert_eq!(ctx.via_properties, properties);
        if let Some(t) = &ctx.reply_to {
            assert!(topics::is_reply_topic(t.as_str()), "reply_to {t:?}");
        }
        if let Some(id) = &ctx.request_id {
            assert!(
                id.chars().count() <= MAX_REQUEST_ID_CHARS,
                "request_id {id:?}"
            );
        }
        assert_eq!(ctx.is_correlated(), ctx.reply_to.is_some());
    }
    // Without properties, the probe reads what a full decode of the object reads.
    let Ok(Value::Object(_)) = decode_object(data) else {
        return;
    };
    let Ok(full) = serde_json::from_slice::<Correlation>(data) else {
        return;
    };
    let ctx = RequestContext::from_message(&message(data, false));
    let id = full
        .request_id
        .map(|id| id.chars().take(MAX_REQUEST_ID_CHARS).collect::<String>());
    assert_eq!(ctx.request_id, id, "request_id");
    let reply_to = full
        .reply_to
        .filter(|t| Topic::new(t.as_str()).is_ok() && topics::is_reply_topic(t));
    assert_eq!(ctx.reply_to.map(String::from), reply_to, "reply_to");
}
