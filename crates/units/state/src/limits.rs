//! The state unit's limits (docs/protocol.md §5), explicit and configurable.

use modt::protocol::ErrorCode;
use modt::{limits, HandlerError};
use serde_json::Value;

/// Default longest key, in bytes.
pub const MAX_KEY_BYTES: usize = 256;
/// Default longest user id, in bytes.
pub const MAX_USER_ID_BYTES: usize = 128;
/// Default largest value (as JSON text), in bytes.
pub const MAX_VALUE_BYTES: usize = 256 * 1024;
/// Default most keys in one bulk request.
pub const MAX_BULK_KEYS: usize = 1000;

/// The limits a state unit enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Longest key, in bytes.
    pub key_bytes: usize,
    /// Longest user id, in bytes.
    pub user_id_bytes: usize,
    /// Largest value as JSON text, in bytes.
    pub value_bytes: usize,
    /// Most keys in one bulk get or set.
    pub bulk_keys: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            key_bytes: MAX_KEY_BYTES,
            user_id_bytes: MAX_USER_ID_BYTES,
            value_bytes: MAX_VALUE_BYTES,
            bulk_keys: MAX_BULK_KEYS,
        }
    }
}

impl Limits {
    /// A user id must be non-empty and within its limit.
    pub fn user_id(&self, user_id: &str) -> Result<(), HandlerError> {
        limits::text_within("user_id", user_id, self.user_id_bytes)
    }

    /// A key must be non-empty and within its limit.
    pub fn key(&self, key: &str) -> Result<(), HandlerError> {
        limits::text_within("key", key, self.key_bytes)
    }

    /// A value's JSON text must be within its limit.
    pub fn value(&self, value: &Value) -> Result<(), HandlerError> {
        limits::json_within("value", value, self.value_bytes)
    }

    /// A bulk request must not name more keys than its limit.
    pub fn bulk(&self, n: usize) -> Result<(), HandlerError> {
        if n > self.bulk_keys {
            return Err(HandlerError::new(
                ErrorCode::TooLarge,
                format!(
                    "{n} keys in one bulk request; the limit is {}",
                    self.bulk_keys
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_limit_is_enforced_at_its_boundary() {
        let l = Limits::default();
        assert!(l.key(&"k".repeat(MAX_KEY_BYTES)).is_ok());
        assert_eq!(
            l.key(&"k".repeat(MAX_KEY_BYTES + 1)).unwrap_err().code,
            ErrorCode::TooLarge
        );
        assert!(l.user_id(&"u".repeat(MAX_USER_ID_BYTES)).is_ok());
        assert_eq!(
            l.user_id(&"u".repeat(MAX_USER_ID_BYTES + 1))
                .unwrap_err()
                .code,
            ErrorCode::TooLarge
        );
        assert_eq!(l.user_id("").unwrap_err().code, ErrorCode::BadRequest);
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
        assert!(l.bulk(MAX_BULK_KEYS).is_ok());
        assert!(l.bulk(MAX_BULK_KEYS + 1).is_err());
    }
}
