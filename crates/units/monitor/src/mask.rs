//! Masking secrets before a message leaves the monitor (docs/protocol.md §6: "the monitor masks them").
//!
//! A field holds a secret when its name, compared case-insensitively, contains one of
//! [`SECRET_KEY_PARTS`] (`session_id`, `password`, `token`, `secret`, `authorization`,
//! `cookie`, …). Its value, whatever its type, is replaced by [`MASK`]; `null` stays `null`
//! (it reveals nothing, and "no session" is worth seeing). Objects are searched at any depth,
//! including inside arrays. This module only rewrites parsed JSON: text payloads are left as
//! they are (see [`crate::record`]).

use serde_json::Value;

/// What a secret value is replaced with.
pub const MASK: &str = "••••••";

/// A field name containing any of these (lowercased) holds a secret.
pub const SECRET_KEY_PARTS: &[&str] = &[
    "session_id",
    "sessionid",
    "password",
    "passwd",
    "token",
    "secret",
    "authorization",
    "cookie",
];

/// Whether a field called `key` holds a secret.
///
/// ```
/// assert!(modt_monitor::mask::is_secret_key("Session_ID"));
/// assert!(modt_monitor::mask::is_secret_key("refreshToken"));
/// assert!(!modt_monitor::mask::is_secret_key("user_id"));
/// ```
pub fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    SECRET_KEY_PARTS.iter().any(|part| key.contains(part))
}

/// Replaces the values of secret fields in `value`, at any depth. Returns how many were masked.
pub fn mask(value: &mut Value) -> usize {
    match value {
        Value::Object(map) => map
            .iter_mut()
            .map(|(key, v)| {
                if is_secret_key(key) {
                    if v.is_null() {
                        0
                    } else {
                        *v = Value::String(MASK.to_string());
                        1
                    }
                } else {
                    mask(v)
                }
            })
            .sum(),
        Value::Array(items) => items.iter_mut().map(mask).sum(),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn masks_nested_fields_in_objects_and_arrays() {
        let mut v = json!({
            "user_id": "u1",
            "session_id": "abc",
            "nested": {"Password": "p", "deeper": [{"api_token": 5}, {"ok": "keep"}]},
            "list": [{"AUTHORIZATION": "Bearer x"}, "session_id"],
            "client_secret": {"a": 1},
            "Cookie": ["a=b"],
        });
        assert_eq!(mask(&mut v), 6);
        assert_eq!(
            v,
            json!({
                "user_id": "u1",
                "session_id": MASK,
                "nested": {"Password": MASK, "deeper": [{"api_token": MASK}, {"ok": "keep"}]},
                "list": [{"AUTHORIZATION": MASK}, "session_id"],
                "client_secret": MASK,
                "Cookie": MASK,
            })
        );
    }

    #[test]
    fn the_token_api_s_secrets_are_masked() {
        // What modt/auth/token/* carry: ApiRequest bodies and the TokenPair replies.
        let mut v = json!({
            "body": {"username": "ann", "password": "p", "refresh_token": "r"},
            "status": 200,
            "reply": {"access_token": "a.b.c", "token_type": "Bearer", "refresh_token": "r"},
        });
        // `token_type` ("Bearer") is masked too: a name with `token` in it is never shown.
        assert_eq!(mask(&mut v), 5);
        assert_eq!(v["body"]["username"], "ann");
        assert_eq!(v["body"]["password"], MASK);
        assert_eq!(v["reply"]["access_token"], MASK);
        assert_eq!(v["reply"]["refresh_token"], MASK);
    }

    #[test]
    fn keeps_null_and_harmless_fields() {
        let mut v = json!({"session_id": null, "user_id": null, "role": "admin", "n": [1, 2]});
        let before = v.clone();
        assert_eq!(mask(&mut v), 0);
        assert_eq!(v, before);
    }

    #[test]
    fn scalars_and_arrays_of_scalars_are_untouched() {
        for mut v in [json!("session_id"), json!(5), json!(["token", "secret"])] {
            let before = v.clone();
            assert_eq!(mask(&mut v), 0);
            assert_eq!(v, before);
        }
    }

    #[test]
    fn key_names_are_matched_case_insensitively_as_parts() {
        for k in [
            "session_id",
            "SESSION_ID",
            "old_session_id",
            "sessionId",
            "password",
            "new_Password",
            "token",
            "csrfToken",
            "access_token",
            "refresh_token",
            "secret",
            "Authorization",
            "set-cookie",
        ] {
            assert!(is_secret_key(k), "{k}");
        }
        for k in ["user_id", "role", "session", "status", "key", "value"] {
            assert!(!is_secret_key(k), "{k}");
        }
    }
}
