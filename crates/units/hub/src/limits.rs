//! The hub's limits (docs/protocol.md §5), explicit and configurable. A request over a limit is
//! refused with `too_large` (a missing or empty field with `bad_request`) and dead-lettered.

use modt::{limits, HandlerError};
use serde_json::Value;

/// Default longest key, in bytes.
pub const MAX_KEY_BYTES: usize = 256;
/// Default largest value (as JSON text), in bytes.
pub const MAX_VALUE_BYTES: usize = 256 * 1024;
/// Default longest request `id`, in characters (the same bound as a `request_id`).
pub const MAX_ID_CHARS: usize = modt::protocol::MAX_REQUEST_ID_CHARS;

/// The limits a hub enforces on requests and on its defaults file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Longest key, in bytes.
    pub key_bytes: usize,
    /// Largest value as JSON text, in bytes.
    pub value_bytes: usize,
    /// Longest request `id`, in characters.
    pub id_chars: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            key_bytes: MAX_KEY_BYTES,
            value_bytes: MAX_VALUE_BYTES,
            id_chars: MAX_ID_CHARS,
        }
    }
}

impl Limits {
    /// A key must be non-empty and within its limit.
    pub fn key(&self, key: &str) -> Result<(), HandlerError> {
        limits::text_within("key", key, self.key_bytes)
    }

    /// A request id must be within its limit (it is echoed, so it is bounded too).
    pub fn id(&self, id: &str) -> Result<(), HandlerError> {
        limits::chars_within("id", id, self.id_chars)
    }

    /// A value's JSON text must be within its limit.
    pub fn value(&self, value: &Value) -> Result<(), HandlerError> {
        limits::json_within("value", value, self.value_bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use modt::protocol::ErrorCode;

    #[test]
    fn each_limit_is_enforced_at_its_boundary() {
        let l = Limits::default();
        assert!(l.key(&"k".repeat(MAX_KEY_BYTES)).is_ok());
        assert_eq!(
            l.key(&"k".repeat(MAX_KEY_BYTES + 1)).unwrap_err().code,
            ErrorCode::TooLarge
        );
        assert_eq!(l.key("").unwrap_err().code, ErrorCode::BadRequest);
        // Characters, not bytes: 128 two-byte characters are fine.
        assert!(l.id(&"é".repeat(MAX_ID_CHARS)).is_ok());
        assert!(l.id("").is_ok());
        assert_eq!(
            l.id(&"i".repeat(MAX_ID_CHARS + 1)).unwrap_err().code,
            ErrorCode::TooLarge
        );
        // A JSON string of n bytes has n + 2 bytes of JSON text.
        assert!(l
            .value(&Value::String("v".repeat(MAX_VALUE_BYTES - 2)))
            .is_ok());
        assert_eq!(
            l.value(&Value::String("v".repeat(MAX_VALUE_BYTES - 1)))
                .unwrap_err()
                .code,
            ErrorCode::TooLarge
        );
    }
}
