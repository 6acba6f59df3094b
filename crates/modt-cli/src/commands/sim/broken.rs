//! Broken device messages, one way per [`Kind`] and several variants of each, made from a
//! valid message of the device whose turn it is: what the ingest unit must refuse, log in
//! its parse log and pass to its dead letters (docs/ingest.md). A broken message is the
//! valid one as a `serde_json::Value`, changed where it has to break.

use modt::protocol::topics;
use modt::protocol::TopicError;
use modt::Topic;
use serde::Serialize;
use serde_json::{json, Value};

use super::kind::Kind;

/// Longest id a topic level may carry (docs/ingest.md); the broken topics go past it.
pub(crate) const MAX_LEVEL_CHARS: usize = 64;

/// A broken message: where it goes and its bytes.
#[derive(Debug)]
pub(crate) struct Broken {
    pub(crate) topic: Topic,
    pub(crate) payload: Vec<u8>,
}

/// The device whose turn it is, and its valid message.
#[derive(Debug)]
pub(crate) struct Valid<'a> {
    pub(crate) site: &'a str,
    pub(crate) gateway: &'a str,
    /// The datalogger's serial; `None` for a gateway status.
    pub(crate) serial: Option<&'a str>,
    pub(crate) topic: Topic,
}

/// Breaks `valid` the `kind` way, the `turn`-th variant of it (variants take turns);
/// `oversize` is the size of a [`Kind::TooLarge`] payload.
pub(crate) fn make(
    kind: Kind,
    turn: u64,
    valid: Valid<'_>,
    message: &impl Serialize,
    oversize: usize,
) -> Result<Broken, TopicError> {
    let bytes = |v: &Value| serde_json::to_vec(v).unwrap_or_default();
    let mut message = serde_json::to_value(message).unwrap_or_default();
    let (topic, payload) = match kind {
        Kind::NotJson => (valid.topic, not_json(&bytes(&message), turn)),
        Kind::Schema => {
            break_schema(&mut message, valid.serial.is_some(), turn);
            (valid.topic, bytes(&message))
        }
        Kind::Mapping => {
            break_mapping(&mut message);
            (valid.topic, bytes(&message))
        }
        Kind::Topic => (long_level_topic(&valid, turn)?, bytes(&message)),
        Kind::TooLarge => {
            pad(&mut message, oversize);
            (valid.topic, bytes(&message))
        }
        Kind::Status | Kind::Readings => (valid.topic, bytes(&message)),
    };
    Ok(Broken { topic, payload })
}

/// Cut short, plain text, or bytes that are not UTF-8.
fn not_json(valid: &[u8], turn: u64) -> Vec<u8> {
    match turn % 3 {
        0 => valid[..valid.len() / 2].to_vec(),
        1 => b"T1=21.4;H1=48.2;V1=3.91 OK".to_vec(),
        _ => [&[0xFF, 0xFE, 0x00][..], valid].concat(),
    }
}

/// A rule of docs/ingest.md broken: a required field gone, a wrong type, a value out of
/// range, a sensor id off its pattern, no readings.
fn break_schema(message: &mut Value, readings: bool, turn: u64) {
    let Some(obj) = message.as_object_mut() else {
        return;
    };
    if readings {
        match turn % 4 {
            0 => drop(obj.insert("readings".into(), json!([]))),
            1 => set_first_reading(obj, "value", json!("21.4")),
            2 => set_first_reading(obj, "sensor", json!("t 1!")),
            _ => drop(obj.remove("readings")),
        }
    } else {
        match turn % 3 {
            0 => drop(obj.remove("online")),
            1 => drop(obj.insert("rssi".into(), json!(20))),
            _ => drop(obj.insert("online".into(), json!("yes"))),
        }
    }
}

fn set_first_reading(obj: &mut serde_json::Map<String, Value>, field: &str, value: Value) {
    if let Some(first) = obj
        .get_mut("readings")
        .and_then(|r| r.get_mut(0))
        .and_then(Value::as_object_mut)
    {
        first.insert(field.into(), value);
    }
}

/// Within the schema, but unusable for the device model: a sensor appears twice (the schema
/// cannot say that sensor ids are unique). Only readings can break this way; the generator
/// gives this kind a datalogger's turn.
fn break_mapping(message: &mut Value) {
    let Some(readings) = message.get_mut("readings").and_then(Value::as_array_mut) else {
        return;
    };
    if let Some(first) = readings.first().cloned() {
        let mut twin = first;
        if let Some(v) = twin.get_mut("value") {
            *v = json!(v.as_f64().unwrap_or(0.0) + 1.0);
        }
        readings.push(twin);
    }
}

/// The valid message on a topic one of whose ids is longer than [`MAX_LEVEL_CHARS`].
fn long_level_topic(valid: &Valid<'_>, turn: u64) -> Result<Topic, TopicError> {
    let long = |id: &str| {
        let mut s = id.to_owned();
        while s.chars().count() <= MAX_LEVEL_CHARS {
            s.push_str("-x");
        }
        s
    };
    match (valid.serial, turn % 2) {
        (Some(serial), 0) => topics::device_readings(valid.site, valid.gateway, &long(serial)),
        (Some(serial), _) => topics::device_readings(&long(valid.site), valid.gateway, serial),
        (None, _) => topics::device_gateway_status(valid.site, &long(valid.gateway)),
    }
}

/// The message with a `pad` field that brings it to at least `size` bytes.
fn pad(message: &mut Value, size: usize) {
    if let Some(obj) = message.as_object_mut() {
        obj.insert("pad".into(), Value::String("x".repeat(size)));
    }
}
