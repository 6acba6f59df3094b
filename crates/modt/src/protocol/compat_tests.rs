//! Both directions against literal JSON as the original Python SDK writes it
//! (`json.dumps` of `{"timestamp": …, **fields}`: timestamp first, `", "` and `": "` separators).

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

use super::*;

/// Parses what Python sent, re-encodes it, and checks the same keys come out in the same order
/// with the same values (only separators differ, which JSON readers ignore).
fn round_trip<T: Serialize + DeserializeOwned>(python: &str) -> T {
    let parsed: T = decode(python.as_bytes()).unwrap();
    let ours = String::from_utf8(encode(&parsed).unwrap()).unwrap();
    let theirs: Value = serde_json::from_str(python).unwrap();
    let mine: Value = serde_json::from_str(&ours).unwrap();
    assert_eq!(mine, theirs, "values differ: ours {ours}");
    let key_order = |s: &str| -> Vec<String> {
        let v: serde_json::Map<String, Value> = serde_json::from_str(s).unwrap();
        v.keys().cloned().collect()
    };
    assert_eq!(
        key_order(&ours),
        key_order(python),
        "key order differs: ours {ours}"
    );
    parsed
}

#[test]
fn auth_success_matches_python() {
    let p: AuthSuccess = round_trip(
        r#"{"timestamp": "2026-01-02T10:00:00", "user_id": "u1", "session_id": "s1", "role": "user"}"#,
    );
    assert_eq!(p.role, "user");
}

#[test]
fn app_ready_matches_python() {
    let p: AppReady = round_trip(
        r#"{"timestamp": "2026-01-02T10:00:00", "app_name": "dummy", "redirect_url": "http://localhost:8082/", "session_id": "s1"}"#,
    );
    assert_eq!(p.redirect_url, "http://localhost:8082/");
}

#[test]
fn session_payloads_match_python() {
    let q: SessionQuery = round_trip(r#"{"timestamp": "2026-01-02T10:00:00", "session_id": "s1"}"#);
    assert_eq!(q.correlation, Correlation::NONE);
    let v: SessionInfo = round_trip(
        r#"{"timestamp": "2026-01-02T10:00:00", "session_id": "s1", "user_id": "u1", "role": "admin", "status": "valid"}"#,
    );
    assert_eq!(v.status, SessionStatus::Valid);
    let i: SessionInfo = round_trip(
        r#"{"timestamp": "2026-01-02T10:00:00", "session_id": "s1", "user_id": null, "role": null, "status": "invalid"}"#,
    );
    assert_eq!(i.user_id, None);
    // Our constructor writes the nulls too, as Python does.
    let ours: Value = serde_json::to_value(SessionInfo::invalid("s1")).unwrap();
    assert_eq!(ours["user_id"], Value::Null);
    assert!(ours.as_object().unwrap().contains_key("role"));
}

#[test]
fn state_requests_match_python() {
    let s: StateSet = round_trip(
        r#"{"timestamp": "2026-01-02T10:00:00", "user_id": "u1", "key": "k", "value": {"a": [1, 2.5, null, true]}, "action": "set"}"#,
    );
    assert_eq!(s.value, json!({"a": [1, 2.5, null, true]}));
    let _: StateGet = round_trip(
        r#"{"timestamp": "2026-01-02T10:00:00", "user_id": "u1", "key": "k", "action": "get"}"#,
    );
    let _: StateKeysQuery = round_trip(
        r#"{"timestamp": "2026-01-02T10:00:00", "user_id": "u1", "action": "list_keys"}"#,
    );
    let _: StateAllGet =
        round_trip(r#"{"timestamp": "2026-01-02T10:00:00", "user_id": "u1", "action": "get_all"}"#);
    let _: StateDelete = round_trip(
        r#"{"timestamp": "2026-01-02T10:00:00", "user_id": "u1", "key": "k", "action": "delete"}"#,
    );
    let _: StateClear = round_trip(
        r#"{"timestamp": "2026-01-02T10:00:00", "user_id": "u1", "action": "clear_all"}"#,
    );
}

#[test]
fn state_replies_match_python() {
    let v: StateValue = round_trip(
        r#"{"timestamp": "2026-01-02T10:00:00", "user_id": "u1", "key": "k", "value": "5", "status": "valid"}"#,
    );
    assert_eq!(v.value, json!("5"));
    let n: StateValue = round_trip(
        r#"{"timestamp": "2026-01-02T10:00:00", "user_id": "u1", "key": "k", "value": null, "status": "not_found"}"#,
    );
    assert_eq!(n.status, ValueStatus::NotFound);
    let l: StateKeysList =
        round_trip(r#"{"timestamp": "2026-01-02T10:00:00", "user_id": "u1", "keys": ["a", "b"]}"#);
    assert_eq!(l.keys, ["a", "b"]);
    let a: StateAllValue = round_trip(
        r#"{"timestamp": "2026-01-02T10:00:00", "user_id": "u1", "data": {"n": 5, "s": "x", "o": {"z": 1}}}"#,
    );
    assert_eq!(a.data["n"], json!(5));
}

#[test]
fn hub_payloads_match_the_original_design() {
    let r: HubRequest = round_trip(r#"{"id": "r1", "key": "color", "value": "blue"}"#);
    assert_eq!(r.value, Some(json!("blue")));
    let g: HubRequest = round_trip(r#"{"id": "r2", "key": "color"}"#);
    assert_eq!(g.value, None);
    let resp: HubResponse =
        round_trip(r#"{"id": "r1", "key": "color", "status": 203, "value": "red"}"#);
    assert_eq!(resp.status, hub_status::DEFAULT);
    let missing: HubResponse =
        round_trip(r#"{"id": "r3", "key": "nope", "status": 404, "value": null}"#);
    assert_eq!(missing.value, serde_json::Value::Null);
    let ours = serde_json::to_value(HubResponse::new("r1", "k", 200, json!(5))).unwrap();
    let keys: Vec<&String> = ours.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["timestamp", "id", "key", "status", "value"]);
    let ours = serde_json::to_value(HubRequest::new("r1", "k", None)).unwrap();
    let keys: Vec<&String> = ours.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["timestamp", "id", "key"]);
    assert_eq!(
        HubResponse::timed_out("r1", "k").status,
        hub_status::TIMEOUT
    );
    let ack: HubAck =
        round_trip(r#"{"status": "ok", "request_id": "q1", "id": "r1", "key": "k", "value": [1]}"#);
    assert_eq!(ack.status, ReplyStatus::Ok);
}

#[test]
fn our_constructors_write_what_python_writes() {
    let ours = serde_json::to_value(StateSet::new("u1", "k", json!(5))).unwrap();
    let keys: Vec<&String> = ours.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["timestamp", "user_id", "key", "value", "action"]);
    assert_eq!(ours["action"], "set");
    let ts = ours["timestamp"].as_str().unwrap();
    assert!(
        chrono::NaiveDateTime::parse_from_str(ts, timestamp::TIMESTAMP_FORMAT).is_ok(),
        "{ts}"
    );
}

#[test]
fn receivers_need_no_timestamp_or_action_and_ignore_unknown_fields() {
    let s: StateSet =
        decode(br#"{"user_id": "u", "key": "k", "value": 1, "future": true}"#).unwrap();
    assert_eq!(s.timestamp, None);
    assert_eq!(s.action, StateAction::Set);
}

#[test]
fn missing_required_fields_are_named() {
    let err = decode::<StateSet>(br#"{"user_id": "u", "value": 1}"#).unwrap_err();
    assert!(err.to_string().contains("missing field `key`"), "{err}");
    assert_eq!(err.code(), ErrorCode::BadRequest);
    assert!(matches!(
        decode::<StateGet>(b"[1]"),
        Err(DecodeError::NotObject)
    ));
    assert!(matches!(
        decode::<StateGet>(b"\xff"),
        Err(DecodeError::NotJson(_))
    ));
}

#[test]
fn correlation_fields_round_trip_and_stay_absent_when_unset() {
    let mut q = SessionQuery::new("s1");
    q.correlation = Correlation {
        request_id: Some("r1".into()),
        reply_to: Some("modt/reply/c/r1".into()),
    };
    let v = serde_json::to_value(&q).unwrap();
    assert_eq!(v["request_id"], "r1");
    assert_eq!(v["reply_to"], "modt/reply/c/r1");
    let back: SessionQuery = serde_json::from_value(v).unwrap();
    assert_eq!(back, q);
    let legacy = serde_json::to_value(SessionQuery::new("s1")).unwrap();
    assert!(legacy.get("request_id").is_none());
}

#[test]
fn error_reply_has_the_documented_shape() {
    let e = ErrorReply::new(
        Some("r1".into()),
        ErrorCode::TooLarge,
        "value is 300000 bytes",
    );
    let v = serde_json::to_value(&e).unwrap();
    assert_eq!(v["status"], "error");
    assert_eq!(v["request_id"], "r1");
    assert_eq!(v["error"]["code"], "too_large");
    let parsed: ErrorReply = decode(
        br#"{"status":"error","request_id":"r1","error":{"code":"conflict","message":"m"}}"#,
    )
    .unwrap();
    assert_eq!(parsed.error.code, ErrorCode::Conflict);
    let ack = serde_json::to_value(Ack::new(Some("r2".into()))).unwrap();
    assert_eq!(ack["status"], "ok");
    assert_eq!(ack["request_id"], "r2");
}
