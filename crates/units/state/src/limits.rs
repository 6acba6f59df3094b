//! The state unit's limits (PROTOCOL.md §5), explicit and configurable.

use modt::protocol::ErrorCode;
use modt::HandlerError;
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

/// The length of `value` as compact JSON text, counted without building the text.
pub fn json_len(value: &Value) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    match serde_json::to_writer(&mut count, value) {
        Ok(()) => count.0,
        // A `Value` always serializes; should that ever change, count it as too large.
        Err(_) => usize::MAX,
    }
}

fn too_large(what: &str, len: usize, max: usize) -> HandlerError {
    HandlerError::new(
        ErrorCode::TooLarge,
        format!("{what} is {len} bytes; the limit is {max}"),
    )
}

impl Limits {
    /// A user id must be non-empty and within its limit.
    pub fn user_id(&self, user_id: &str) -> Result<(), HandlerError> {
        if user_id.is_empty() {
            return Err(HandlerError::bad_request("user_id is empty"));
        }
        if user_id.len() > self.user_id_bytes {
            return Err(too_large("user_id", user_id.len(), self.user_id_bytes));
        }
        Ok(())
    }

    /// A key must be non-empty and within its limit.
    pub fn key(&self, key: &str) -> Result<(), HandlerError> {
        if key.is_empty() {
            return Err(HandlerError::bad_request("key is empty"));
        }
        if key.len() > self.key_bytes {
            return Err(too_large("key", key.len(), self.key_bytes));
        }
        Ok(())
    }

    /// A value's JSON text must be within its limit.
    pub fn value(&self, value: &Value) -> Result<(), HandlerError> {
        let len = json_len(value);
        if len > self.value_bytes {
            return Err(too_large("value", len, self.value_bytes));
        }
        Ok(())
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
    fn json_len_is_the_length_of_the_text() {
        for v in [
            serde_json::json!(null),
            serde_json::json!("ä \" \n x"),
            serde_json::json!({"a": [1, 2.5, true], "b": {"c": "d"}}),
        ] {
            assert_eq!(
                json_len(&v),
                serde_json::to_string(&v).unwrap().len(),
                "{v}"
            );
        }
    }

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
