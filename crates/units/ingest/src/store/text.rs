//! The wire names of unit enums (`connected`, `not_json`, …), as both backends store them.

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::StoreError;

/// `v`'s wire name.
pub(crate) fn enum_text<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

/// The value named `text`.
pub(crate) fn enum_from<T: DeserializeOwned>(text: &str) -> Result<T, StoreError> {
    serde_json::from_value(serde_json::Value::String(text.to_owned()))
        .map_err(|e| StoreError::Storage(format!("unknown stored value {text:?}: {e}")))
}
