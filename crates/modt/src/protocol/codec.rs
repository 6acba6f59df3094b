//! Turning payload bytes into protocol types and back, with errors that say what was wrong.

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::ErrorCode;

/// Largest payload the SDK decodes, in bytes: the value limit (256 KiB) plus room for the envelope.
pub const MAX_PAYLOAD_BYTES: usize = 256 * 1024 + 16 * 1024;

/// Why a payload could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Not valid JSON (or not UTF-8).
    #[error("payload is not JSON: {0}")]
    NotJson(String),
    /// JSON, but not an object.
    #[error("payload must be a JSON object")]
    NotObject,
    /// A JSON object that lacks a required field or has a field of the wrong type.
    #[error("invalid payload: {0}")]
    Invalid(String),
    /// Larger than [`MAX_PAYLOAD_BYTES`].
    #[error("payload is {0} bytes, more than the limit of {MAX_PAYLOAD_BYTES}")]
    TooLarge(usize),
}

impl DecodeError {
    /// The wire error code for this failure.
    pub fn code(&self) -> ErrorCode {
        match self {
            DecodeError::TooLarge(_) => ErrorCode::TooLarge,
            _ => ErrorCode::BadRequest,
        }
    }
}

/// Decodes a JSON object payload into `T`.
///
/// ```
/// use modt::protocol::{decode, SessionQuery};
/// let q: SessionQuery = decode(br#"{"session_id": "s1"}"#).unwrap();
/// assert_eq!(q.session_id, "s1");
/// assert!(decode::<SessionQuery>(b"not json").is_err());
/// assert!(decode::<SessionQuery>(br#"{"user_id": "u"}"#).is_err());
/// ```
pub fn decode<T: DeserializeOwned>(payload: &[u8]) -> Result<T, DecodeError> {
    if payload.len() > MAX_PAYLOAD_BYTES {
        return Err(DecodeError::TooLarge(payload.len()));
    }
    // Fast path: straight into `T` in one pass. Only an object may take it: serde would
    // also read a struct from an array. Any failure (or a duplicate key, which the direct
    // path refuses and the object path resolves last-wins) takes the two-step path below,
    // whose result and error are the reference.
    if first_byte(payload) == Some(b'{') {
        if let Ok(t) = serde_json::from_slice(payload) {
            return Ok(t);
        }
    }
    let value = decode_object(payload)?;
    serde_json::from_value(value).map_err(|e| DecodeError::Invalid(e.to_string()))
}

/// The first byte that is not JSON whitespace.
fn first_byte(payload: &[u8]) -> Option<u8> {
    payload
        .iter()
        .copied()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
}

/// Decodes a payload that must be a JSON object, without a schema.
pub fn decode_object(payload: &[u8]) -> Result<serde_json::Value, DecodeError> {
    if payload.len() > MAX_PAYLOAD_BYTES {
        return Err(DecodeError::TooLarge(payload.len()));
    }
    let value: serde_json::Value =
        serde_json::from_slice(payload).map_err(|e| DecodeError::NotJson(e.to_string()))?;
    if !value.is_object() {
        return Err(DecodeError::NotObject);
    }
    Ok(value)
}

/// Encodes a payload as compact JSON.
pub fn encode<T: Serialize + ?Sized>(payload: &T) -> Result<Vec<u8>, serde_json::Error> {
    serde_json::to_vec(payload)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::protocol::*;

    proptest! {
        /// No input makes a decoder panic; every failure is a typed error.
        #[test]
        fn decoders_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
            let _ = decode::<StateSet>(&bytes);
            let _ = decode::<SessionInfo>(&bytes);
            let _ = decode::<HubRequest>(&bytes);
            let _ = decode::<ErrorReply>(&bytes);
            let _ = decode::<DeadLetter>(&bytes);
            let _ = decode_object(&bytes);
        }

        /// A `user_id` that is a number or null (never a string) is a `bad_request`, whatever else is there.
        #[test]
        fn wrongly_typed_fields_are_bad_requests(user in any::<Option<i64>>(), key in "\\PC{0,8}", n in any::<f64>()) {
            let v = serde_json::json!({"user_id": user, "key": key, "value": n});
            let bytes = serde_json::to_vec(&v).unwrap();
            prop_assert_eq!(decode::<StateSet>(&bytes).unwrap_err().code(), ErrorCode::BadRequest);
        }
    }

    /// The one-pass path and the two-step path agree, including where they could differ:
    /// arrays (refused, not read as structs), duplicate keys (last wins) and padding.
    #[test]
    fn the_fast_path_decodes_as_the_two_step_path_does() {
        let two_step = |p: &[u8]| -> Result<StateSet, DecodeError> {
            let v = decode_object(p)?;
            serde_json::from_value(v).map_err(|e| DecodeError::Invalid(e.to_string()))
        };
        let cases: [&[u8]; 7] = [
            br#"{"user_id":"u","key":"k","value":[1,{"a":null}]}"#,
            br#" \n {"user_id":"u","key":"k","value":1,"timestamp":"2024-01-01T00:00:00"}"#,
            br#"{"user_id":"u","key":"k","key":"k2","value":1}"#,
            br#"["u","k",1]"#,
            br#"{"user_id":"u","value":1}"#,
            br#"{"user_id":1,"key":"k","value":1}"#,
            b"{not json",
        ];
        for case in cases {
            assert_eq!(
                decode::<StateSet>(case),
                two_step(case),
                "{}",
                String::from_utf8_lossy(case)
            );
        }
        assert_eq!(
            decode::<StateSet>(br#"{"user_id":"u","key":"k","key":"k2","value":1}"#)
                .unwrap()
                .key,
            "k2"
        );
        assert_eq!(
            decode::<StateSet>(br#"["u","k",1]"#).unwrap_err(),
            DecodeError::NotObject
        );
    }

    #[test]
    fn oversized_payloads_are_too_large() {
        let big = vec![b' '; MAX_PAYLOAD_BYTES + 1];
        assert_eq!(decode_object(&big).unwrap_err().code(), ErrorCode::TooLarge);
    }
}
