//! The viewer's calls to the state unit: all correlated, so writes return only after the
//! state unit acknowledged them on disk (PROTOCOL.md §3).

use std::time::Duration;

use modt::protocol::{
    topics, ErrorCode, StateAck, StateAllGet, StateAllValue, StateClear, StateDelete, StateSet,
};
use modt::Client;
use serde::Serialize;
use serde_json::Value;

use crate::value;

/// A state call that failed.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The state unit did not answer in time (or the client is down).
    #[error("the state unit did not answer in {0:?}")]
    Unavailable(Duration),
    /// The state unit refused (a limit, a bad key, …); the message is for people.
    #[error("{message}")]
    Refused {
        /// The stable error code.
        code: ErrorCode,
        /// What was wrong.
        message: String,
    },
    /// Anything else (a bad reply).
    #[error("state call failed: {0}")]
    Other(String),
}

impl StateError {
    fn from_sdk(e: modt::Error, timeout: Duration) -> StateError {
        match e {
            modt::Error::Timeout { .. } | modt::Error::Closed => StateError::Unavailable(timeout),
            modt::Error::Remote { body, .. } => StateError::Refused {
                code: body.code,
                message: body.message,
            },
            other => StateError::Other(other.to_string()),
        }
    }
}

/// One key as the table shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    /// The key.
    pub key: String,
    /// The value as pretty JSON.
    pub pretty: String,
    /// The value as the editor shows it.
    pub edit: String,
    /// Its JSON type (`string`, `number`, `object`, …), shown as a hint.
    pub kind: &'static str,
    /// Its version.
    pub version: Option<u64>,
    /// Its last write (UTC).
    pub updated_at: Option<String>,
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The state unit, as the viewer uses it.
#[derive(Debug, Clone)]
pub struct StateApi {
    client: Client,
    timeout: Duration,
}

impl StateApi {
    /// Calls over `client`, each waiting at most `timeout`.
    pub fn new(client: Client, timeout: Duration) -> StateApi {
        StateApi { client, timeout }
    }

    /// Every key of `user_id`, sorted.
    pub async fn rows(&self, user_id: &str) -> Result<Vec<Row>, StateError> {
        let all: StateAllValue = self
            .client
            .request_json(
                &topics::STATE_ALL_GET,
                &StateAllGet::new(user_id),
                Some(self.timeout),
            )
            .await
            .map_err(|e| StateError::from_sdk(e, self.timeout))?;
        let meta = all.meta.unwrap_or_default();
        let mut rows: Vec<Row> = all
            .data
            .into_iter()
            .map(|(key, v)| {
                let m = meta.get(&key);
                Row {
                    pretty: value::pretty(&v),
                    edit: value::edit_text(&v),
                    kind: kind(&v),
                    version: m.map(|m| m.version),
                    updated_at: m.map(|m| m.updated_at.clone()),
                    key,
                }
            })
            .collect();
        rows.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(rows)
    }

    /// Stores `value` under `key`; returns the new version once it is on disk.
    pub async fn set(
        &self,
        user_id: &str,
        key: &str,
        value: Value,
    ) -> Result<Option<u64>, StateError> {
        let ack: StateAck = self
            .client
            .request_json(
                &topics::STATE_SET,
                &StateSet::new(user_id, key, value),
                Some(self.timeout),
            )
            .await
            .map_err(|e| StateError::from_sdk(e, self.timeout))?;
        Ok(ack.version)
    }

    /// Deletes `key`; returns how many keys were removed (0 or 1).
    pub async fn delete(&self, user_id: &str, key: &str) -> Result<u64, StateError> {
        let ack: StateAck = self
            .client
            .request_json(
                &topics::STATE_DELETE,
                &StateDelete::new(user_id, key),
                Some(self.timeout),
            )
            .await
            .map_err(|e| StateError::from_sdk(e, self.timeout))?;
        Ok(ack.removed.unwrap_or(0))
    }

    /// Deletes every key of `user_id`; returns how many.
    pub async fn clear(&self, user_id: &str) -> Result<u64, StateError> {
        let ack: StateAck = self
            .client
            .request_json(
                &topics::STATE_CLEAR,
                &StateClear::new(user_id),
                Some(self.timeout),
            )
            .await
            .map_err(|e| StateError::from_sdk(e, self.timeout))?;
        Ok(ack.removed.unwrap_or(0))
    }
}
