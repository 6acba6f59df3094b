//! Size checks units share (docs/protocol.md §5): one wording for `too_large` and `bad_request`
//! refusals, and one way to measure a JSON value. Each unit keeps its own limits (its values
//! are configurable) and checks them with these.
//!
//! ```
//! use modt::limits;
//! use modt::protocol::ErrorCode;
//!
//! assert!(limits::text_within("key", "k", 256).is_ok());
//! let e = limits::text_within("key", &"k".repeat(257), 256).unwrap_err();
//! assert_eq!(e.code, ErrorCode::TooLarge);
//! assert_eq!(e.message, "key is 257 bytes; the limit is 256");
//! assert_eq!(limits::json_len(&serde_json::json!({"a": [1, 2]})), 11); // {"a":[1,2]}
//! ```

use serde_json::Value;

use crate::protocol::ErrorCode;
use crate::HandlerError;

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

/// `{what} is {len} {unit}; the limit is {max}`, as a `too_large` refusal.
pub fn too_large(what: &str, len: usize, unit: &str, max: usize) -> HandlerError {
    HandlerError::new(
        ErrorCode::TooLarge,
        format!("{what} is {len} {unit}; the limit is {max}"),
    )
}

/// A required text field (a key, a user id): non-empty and at most `max_bytes` bytes.
pub fn text_within(what: &str, text: &str, max_bytes: usize) -> Result<(), HandlerError> {
    if text.is_empty() {
        return Err(HandlerError::bad_request(format!("{what} is empty")));
    }
    if text.len() > max_bytes {
        return Err(too_large(what, text.len(), "bytes", max_bytes));
    }
    Ok(())
}

/// A text counted in characters (an id that is echoed back): at most `max_chars`.
pub fn chars_within(what: &str, text: &str, max_chars: usize) -> Result<(), HandlerError> {
    let chars = text.chars().count();
    if chars > max_chars {
        return Err(too_large(what, chars, "characters", max_chars));
    }
    Ok(())
}

/// A JSON value whose compact text is at most `max_bytes` bytes.
pub fn json_within(what: &str, value: &Value, max_bytes: usize) -> Result<(), HandlerError> {
    let len = json_len(value);
    if len > max_bytes {
        return Err(too_large(what, len, "bytes", max_bytes));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_len_is_the_length_of_the_text() {
        for v in [
            json!(null),
            json!("ä \" \n x"),
            json!({"a": [1, 2.5, true], "b": {"c": "d"}}),
        ] {
            assert_eq!(
                json_len(&v),
                serde_json::to_string(&v).unwrap().len(),
                "{v}"
            );
        }
    }

    #[test]
    fn each_check_at_its_boundary() {
        assert!(text_within("key", &"k".repeat(4), 4).is_ok());
        assert_eq!(
            text_within("key", &"k".repeat(5), 4).unwrap_err().code,
            ErrorCode::TooLarge
        );
        let empty = text_within("user_id", "", 4).unwrap_err();
        assert_eq!(empty.code, ErrorCode::BadRequest);
        assert_eq!(empty.message, "user_id is empty");
        // Characters, not bytes.
        assert!(chars_within("id", &"é".repeat(4), 4).is_ok());
        assert_eq!(
            chars_within("id", &"i".repeat(5), 4).unwrap_err().message,
            "id is 5 characters; the limit is 4"
        );
        // A JSON string of n bytes has n + 2 bytes of JSON text.
        assert!(json_within("value", &json!("vv"), 4).is_ok());
        assert_eq!(
            json_within("value", &json!("vvv"), 4).unwrap_err().message,
            "value is 5 bytes; the limit is 4"
        );
    }
}
