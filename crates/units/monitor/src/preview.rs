//! The one-line payload preview of a message row, decided here and nowhere else (the page
//! shows it as it comes).
//!
//! Nearly every MoDT payload starts with `timestamp`, so a preview of the payload as sent
//! says only when. The preview of a JSON object lists its fields in three groups: first the
//! fields that say what the message is about ([`LEADING_FIELDS`], in that order: `action`,
//! `status`, `error`, `user_id`, `key`, `value`…), then the others as sent, then bookkeeping
//! ([`TRAILING_FIELDS`]: `timestamp`, `request_id`, `reply_to`…). Only top-level fields move;
//! values are shown as compact JSON. At most [`PREVIEW_CHARS`] characters are kept.
//!
//! A preview is made from what [`crate::record`] keeps — the *masked* payload — so it can
//! show no more than the message itself does.

use serde_json::{Map, Value};

/// Characters in a preview; a longer one is cut and ends in `…`.
pub const PREVIEW_CHARS: usize = 160;

/// Fields shown first, in this order: what was asked or answered, by whom, about what
/// (names from `modt::protocol`: state, hub, session, presence, dead letters, replies).
pub const LEADING_FIELDS: &[&str] = &[
    "action", "op", "method", "status", "error", "code", "reason", "message", "user_id",
    "username", "role", "unit_id", "unit", "kind", "name", "app_name", "key", "keys", "prefix",
    "value", "values", "version", "topic",
];

/// Fields shown last: when, and how the reply finds its way (`Correlation`, timestamps).
pub const TRAILING_FIELDS: &[&str] = &[
    "timestamp",
    "request_id",
    "reply_to",
    "correlation",
    "correlation_id",
    "correlation_data",
    "instance_id",
    "started_at",
    "updated_at",
];

/// The preview of a payload kept as JSON (`json`) or as text.
pub fn of(json: Option<&Value>, text: Option<&str>) -> String {
    match (json, text) {
        (Some(Value::Object(fields)), _) => cut(&object(fields)),
        (Some(other), _) => cut(&other.to_string()),
        (None, Some(text)) => cut(&one_line(text)),
        (None, None) => String::new(),
    }
}

/// The object as compact JSON, its fields reordered.
fn object(fields: &Map<String, Value>) -> String {
    let rank = |key: &str| {
        if let Some(i) = LEADING_FIELDS.iter().position(|f| *f == key) {
            (0, i)
        } else if TRAILING_FIELDS.contains(&key) {
            (2, 0)
        } else {
            (1, 0)
        }
    };
    let mut ordered: Vec<(&String, &Value)> = fields.iter().collect();
    // Stable: fields of the same rank keep the order they were sent in.
    ordered.sort_by_key(|(key, _)| rank(key));
    let reordered: Map<String, Value> = ordered
        .into_iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Value::Object(reordered).to_string()
}

fn one_line(text: &str) -> String {
    text.chars()
        .take(PREVIEW_CHARS + 1)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// At most [`PREVIEW_CHARS`] characters of `s`, with `…` when cut.
fn cut(s: &str) -> String {
    match s.char_indices().nth(PREVIEW_CHARS) {
        Some((end, _)) => format!("{}…", &s[..end]),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn preview(v: Value) -> String {
        of(Some(&v), None)
    }

    #[test]
    fn meaningful_fields_first_bookkeeping_last() {
        // A state set as `modt state set` sends it: timestamp first on the wire.
        let set = json!({
            "timestamp": "2026-11-30T10:00:00.000Z",
            "user_id": "u-1",
            "action": "set",
            "key": "theme",
            "value": "dark",
            "request_id": "r-9",
            "reply_to": "modt/reply/c/r-9",
        });
        assert_eq!(
            preview(set),
            r#"{"action":"set","user_id":"u-1","key":"theme","value":"dark","timestamp":"2026-11-30T10:00:00.000Z","request_id":"r-9","reply_to":"modt/reply/c/r-9"}"#
        );
        let reply = json!({"timestamp": "t", "request_id": "r", "version": 3, "status": "ok"});
        assert_eq!(
            preview(reply),
            r#"{"status":"ok","version":3,"timestamp":"t","request_id":"r"}"#
        );
    }

    #[test]
    fn other_fields_keep_their_order_between() {
        let v = json!({"timestamp": "t", "zeta": 1, "alpha": {"nested": [1, 2]}, "error": "e"});
        assert_eq!(
            preview(v),
            r#"{"error":"e","zeta":1,"alpha":{"nested":[1,2]},"timestamp":"t"}"#
        );
    }

    #[test]
    fn masked_values_stay_masked() {
        let mut v = json!({"timestamp": "t", "session_id": "s3cr3t", "user_id": "u"});
        crate::mask::mask(&mut v);
        let p = preview(v);
        assert!(!p.contains("s3cr3t"), "{p}");
        assert!(
            p.starts_with(r#"{"user_id":"u","session_id":"••••••""#),
            "{p}"
        );
    }

    #[test]
    fn long_previews_are_cut_at_a_character() {
        let p = preview(json!({"value": "é".repeat(500), "timestamp": "t"}));
        assert_eq!(p.chars().count(), PREVIEW_CHARS + 1);
        assert!(p.starts_with(r#"{"value":"éé"#) && p.ends_with('…'), "{p}");
        let short = of(None, Some("line one\nline two"));
        assert_eq!(short, "line one line two");
        let long = of(None, Some(&"x".repeat(1000)));
        assert_eq!(long, format!("{}…", "x".repeat(PREVIEW_CHARS)));
    }

    #[test]
    fn scalars_arrays_and_nothing() {
        assert_eq!(preview(json!([1, "a"])), r#"[1,"a"]"#);
        assert_eq!(preview(json!(5)), "5");
        assert_eq!(of(None, None), "");
    }
}
