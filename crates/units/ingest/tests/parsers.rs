//! The built-in parsers on the messages of docs/ingest.md: valid ones become device updates,
//! every kind of refusal is reported with its JSON pointer, and unknown topics are only
//! discovered.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use modt::protocol::ingest::ParseFailureKind;
use modt_ingest::model::{DeviceUpdate, Outcome};
use modt_ingest::parse::{declare, Registry, MAX_PAYLOAD_BYTES};

const READINGS: &str = r#"{"ts":"2026-11-30T19:40:00.123Z","model":"TX-40","firmware":"2.1.0","seq":1,
  "readings":[{"sensor":"t1","kind":"temperature","unit":"°C","value":21.4},
              {"sensor":"h1","kind":"humidity","unit":"%","value":48.2}]}"#;

fn registry() -> Registry {
    Registry::builtin().unwrap()
}

fn failure(topic: &str, payload: &[u8]) -> (ParseFailureKind, String, String) {
    match registry().receive("c1", topic, payload, 1).outcome {
        Outcome::Failed {
            failure,
            payload: whole,
            payload_bytes,
        } => {
            assert_eq!(payload_bytes, payload.len());
            let kept = payload.len().min(modt::protocol::MAX_DEAD_LETTER_PAYLOAD);
            assert_eq!(
                whole,
                &payload[..kept],
                "the dead letter carries the payload's start"
            );
            (failure.kind, failure.pointer, failure.parser)
        }
        other => panic!("{topic}: expected a failure, got {other:?}"),
    }
}

#[test]
fn valid_messages_become_device_updates() {
    let r = registry().receive(
        "c1",
        "plant-a/gateway/7/datalogger/SN1",
        READINGS.as_bytes(),
        5,
    );
    let Outcome::Parsed { parser, updates } = r.outcome else {
        panic!("not parsed: {:?}", r.outcome)
    };
    assert_eq!(parser, "datalogger-readings");
    let DeviceUpdate::Readings {
        site,
        gateway,
        datalogger,
        model,
        readings,
        at_ms,
        ..
    } = &updates[0]
    else {
        panic!("{updates:?}")
    };
    assert_eq!(
        (site.as_str(), gateway.as_str(), datalogger.as_str()),
        ("plant-a", "7", "SN1")
    );
    assert_eq!(model.as_deref(), Some("TX-40"));
    assert_eq!(*at_ms, 1_796_067_600_123);
    assert_eq!(readings.len(), 2);
    assert_eq!(readings[0].unit, "°C");

    let status = br#"{"ts":"2026-11-30T19:40:00Z","online":true,"rssi":-61}"#;
    let r = registry().receive("c1", "plant-a/gateway/7/status", status, 5);
    let Outcome::Parsed { updates, .. } = r.outcome else {
        panic!("{:?}", r.outcome)
    };
    assert!(matches!(
        &updates[0],
        DeviceUpdate::GatewayStatus {
            online: true,
            rssi: Some(-61),
            ..
        }
    ));
}

#[test]
fn every_refusal_names_its_kind_and_pointer() {
    let topic = "plant-a/gateway/7/datalogger/SN1";
    assert_eq!(failure(topic, b"{not json").0, ParseFailureKind::NotJson);
    let big = vec![b' '; MAX_PAYLOAD_BYTES + 1];
    assert_eq!(failure(topic, &big).0, ParseFailureKind::TooLarge);
    let bad_value = READINGS.replace("21.4", "\"warm\"");
    let (kind, pointer, parser) = failure(topic, bad_value.as_bytes());
    assert_eq!(
        (kind, pointer.as_str(), parser.as_str()),
        (
            ParseFailureKind::Schema,
            "/readings/0/value",
            "datalogger-readings"
        )
    );
    let missing = r#"{"ts":"2026-11-30T19:40:00Z"}"#;
    assert_eq!(
        failure(topic, missing.as_bytes()).0,
        ParseFailureKind::Schema
    );
    let bad_date = READINGS.replace("2026-11-30T19:40:00.123Z", "yesterday");
    let (kind, pointer, _) = failure(topic, bad_date.as_bytes());
    assert_eq!(kind, ParseFailureKind::Schema, "format is checked");
    assert_eq!(pointer, "/ts");
    let twice = READINGS.replace("\"h1\"", "\"t1\"");
    let (kind, pointer, _) = failure(topic, twice.as_bytes());
    assert_eq!(
        (kind, pointer.as_str()),
        (ParseFailureKind::Mapping, "/readings/1/sensor")
    );
    let long_site = format!("{}/gateway/7/datalogger/SN1", "s".repeat(65));
    assert_eq!(
        failure(&long_site, READINGS.as_bytes()).0,
        ParseFailureKind::Topic
    );
    let bad_rssi = br#"{"ts":"2026-11-30T19:40:00Z","online":true,"rssi":5}"#;
    let (kind, pointer, _) = failure("plant-a/gateway/7/status", bad_rssi);
    assert_eq!(
        (kind, pointer.as_str()),
        (ParseFailureKind::Schema, "/rssi")
    );
}

#[test]
fn unknown_topics_are_only_discovered() {
    let r = registry().receive("c1", "plant-a/gateway/7/firmware", b"anything", 9);
    assert!(matches!(r.outcome, Outcome::Unparsed));
    assert_eq!(r.sample, "anything");
    assert_eq!(r.topic, "plant-a/gateway/7/firmware");
}

#[test]
fn a_directory_of_declarations_replaces_the_built_in_ones() {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in declare::BUILTIN {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let registry = declare::load_dir(dir.path()).unwrap();
    assert_eq!(registry.patterns().count(), 2);
    std::fs::write(
        dir.path().join("broken.toml"),
        "id = \"x\"\ntopic = \"{site}/x\"\nschema = \"missing.json\"\n[map]\nkind = \"gateway_status\"\nat = \"/ts\"\nonline = \"/o\"\n",
    )
    .unwrap();
    let err = declare::load_dir(dir.path()).unwrap_err().to_string();
    assert!(err.contains("broken.toml"), "{err}");
}
