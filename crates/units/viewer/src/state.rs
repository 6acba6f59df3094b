//! The viewer's calls to the state unit. A Rust state unit is asked with correlated requests,
//! so writes return only after it acknowledged them on disk (docs/protocol.md §3). The original
//! db-unit, which announces nothing and never acknowledges, is asked the legacy way and each
//! write is confirmed by reading it back ([`modt::ask`]; docs/protocol.md, "Mixed fleets").

use std::time::Duration;

use modt::ask::{legacy_request, LegacyAnswer};
use modt::protocol::{
    as_the_original_stores, topics, ErrorCode, StateAck, StateAllGet, StateAllValue, StateClear,
    StateDelete, StateGet, StateSet, StateValue, ValueStatus,
};
use modt::{Asker, Topic};
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
    /// Whether the write was refused because the key changed since the version it named.
    pub fn is_conflict(&self) -> bool {
        matches!(
            self,
            StateError::Refused {
                code: ErrorCode::Conflict,
                ..
            }
        )
    }

    fn from_sdk(e: impl Into<modt::Error>, timeout: Duration) -> StateError {
        let e = e.into();
        if let Some(body) = e.as_request().and_then(|r| r.error_reply()) {
            return StateError::Refused {
                code: body.code,
                message: body.message.clone(),
            };
        }
        match e.code() {
            ErrorCode::Timeout | ErrorCode::Unavailable => StateError::Unavailable(timeout),
            _ => StateError::Other(e.to_string()),
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
    /// Its beginning, when the value is too long to show whole in the table
    /// ([`value::fold`]); the page then shows the rest on request.
    pub folded: Option<String>,
    /// Its size as pretty JSON, in bytes.
    pub bytes: usize,
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
    asker: Asker,
    timeout: Duration,
}

impl StateApi {
    /// Calls through `asker`, each waiting at most `timeout`.
    pub fn new(asker: Asker, timeout: Duration) -> StateApi {
        StateApi { asker, timeout }
    }

    /// The key `key` of `user_id` as the table shows it, `None` when it does not exist.
    pub async fn row(&self, user_id: &str, key: &str) -> Result<Option<Row>, StateError> {
        Ok(self.rows(user_id).await?.into_iter().find(|r| r.key == key))
    }

    /// Every key of `user_id`, sorted.
    pub async fn rows(&self, user_id: &str) -> Result<Vec<Row>, StateError> {
        let all = self.all(user_id).await?;
        let meta = all.meta.unwrap_or_default();
        let mut rows: Vec<Row> = all
            .data
            .into_iter()
            .map(|(key, v)| {
                let m = meta.get(&key);
                let pretty = value::pretty(&v);
                Row {
                    folded: value::fold(&pretty),
                    bytes: pretty.len(),
                    pretty,
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

    /// Stores `value` under `key`; returns the new version once it is on disk (`None` from the
    /// original db-unit, which keeps no versions: there the write is read back instead).
    ///
    /// With `if_version`, the write happens only if the key is still at that version (0: the
    /// key must not exist); otherwise it fails with [`ErrorCode::Conflict`]. The original
    /// db-unit keeps no versions, so there it is not checked.
    pub async fn set(
        &self,
        user_id: &str,
        key: &str,
        value: Value,
        if_version: Option<u64>,
    ) -> Result<Option<u64>, StateError> {
        let mut req = StateSet::new(user_id, key, value.clone());
        req.if_version = if_version;
        if self.asker.correlated(&topics::STATE_SET) {
            let ack: StateAck = self.acked(&topics::STATE_SET, &req).await?;
            return Ok(ack.version);
        }
        self.tell(&topics::STATE_SET, &req).await?;
        let back = self.get(user_id, key).await?;
        let stored = back.status == ValueStatus::Valid
            && (back.value == value || back.value == as_the_original_stores(&value));
        if !stored {
            return Err(unconfirmed("set", key));
        }
        Ok(None)
    }

    /// Deletes `key`; returns how many keys were removed (0 or 1). `if_version` as for
    /// [`set`](Self::set).
    pub async fn delete(
        &self,
        user_id: &str,
        key: &str,
        if_version: Option<u64>,
    ) -> Result<u64, StateError> {
        let mut req = StateDelete::new(user_id, key);
        req.if_version = if_version;
        if self.asker.correlated(&topics::STATE_DELETE) {
            let ack: StateAck = self.acked(&topics::STATE_DELETE, &req).await?;
            return Ok(ack.removed.unwrap_or(0));
        }
        let existed = self.get(user_id, key).await?.status == ValueStatus::Valid;
        self.tell(&topics::STATE_DELETE, &req).await?;
        if self.get(user_id, key).await?.status != ValueStatus::NotFound {
            return Err(unconfirmed("delete", key));
        }
        Ok(u64::from(existed))
    }

    /// Deletes every key of `user_id`; returns how many.
    pub async fn clear(&self, user_id: &str) -> Result<u64, StateError> {
        let req = StateClear::new(user_id);
        if self.asker.correlated(&topics::STATE_CLEAR) {
            let ack: StateAck = self.acked(&topics::STATE_CLEAR, &req).await?;
            return Ok(ack.removed.unwrap_or(0));
        }
        let before = self.all(user_id).await?.data.len();
        self.tell(&topics::STATE_CLEAR, &req).await?;
        if !self.all(user_id).await?.data.is_empty() {
            return Err(unconfirmed("clear", user_id));
        }
        Ok(before as u64)
    }

    async fn all(&self, user_id: &str) -> Result<StateAllValue, StateError> {
        let same_user = |a: &StateAllValue| a.user_id == user_id;
        let legacy = LegacyAnswer {
            topic: &topics::STATE_ALL_VALUE,
            matches: &same_user,
        };
        self.asker
            .ask(
                &topics::STATE_ALL_GET,
                &StateAllGet::new(user_id),
                legacy,
                self.timeout,
            )
            .await
            .map_err(|e| StateError::from_sdk(e, self.timeout))
    }

    /// A legacy get: how writes to the original are confirmed.
    async fn get(&self, user_id: &str, key: &str) -> Result<StateValue, StateError> {
        let same_key = |v: &StateValue| v.user_id == user_id && v.key == key;
        let legacy = LegacyAnswer {
            topic: &topics::STATE_VALUE,
            matches: &same_key,
        };
        let req = StateGet::new(user_id, key);
        legacy_request(
            self.asker.client(),
            &topics::STATE_GET,
            &req,
            legacy,
            self.timeout,
        )
        .await
        .map_err(|e| StateError::from_sdk(e, self.timeout))
    }

    async fn acked<Q: Serialize>(&self, topic: &Topic, req: &Q) -> Result<StateAck, StateError> {
        self.asker
            .client()
            .request_json(
                topic,
                req,
                modt::RequestOptions::new().timeout(self.timeout),
            )
            .await
            .map_err(|e| StateError::from_sdk(e, self.timeout))
    }

    async fn tell<Q: Serialize>(&self, topic: &Topic, req: &Q) -> Result<(), StateError> {
        self.asker
            .client()
            .publish_json(topic, req)
            .await
            .map_err(|e| StateError::from_sdk(e, self.timeout))
    }
}

/// A write to the original db-unit that its read-back does not show.
fn unconfirmed(what: &str, name: &str) -> StateError {
    StateError::Other(format!(
        "the state unit did not confirm the {what} of {name:?}: reading it back shows no change"
    ))
}
