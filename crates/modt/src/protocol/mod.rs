//! The MoDT wire protocol as typed Rust: topics and every payload of docs/protocol.md.
//!
//! - [`topic`]: validated [`Topic`] / [`TopicFilter`] and wildcard matching.
//! - [`topics`]: every topic MoDT uses (constants and builders).
//! - [`namespace`]: [`Namespace`], the first topic level on the wire (default `modt`).
//! - [`auth`], [`session`], [`state`], [`hub`]: the legacy payloads of §2, byte-compatible
//!   with the original Python SDK, each with the optional correlation fields of §3.
//! - [`state_ext`]: the state unit's extension payloads (acks, bulk, change events).
//! - [`correlation`]: `request_id` / `reply_to`.
//! - [`reply`]: acks, error replies and the stable error codes of §5.
//! - [`presence`]: unit status, info and ping of §4.
//! - [`role`]: [`Role`], a user's role (`user` or `admin`).
//! - [`dead_letter`]: what a unit could not handle.
//! - [`api`]: HTTP calls carried over MQTT (what the gateway sends units, what they answer).
//! - [`todo`]: the todo unit's items, pages and change events.
//! - [`token`]: access-token claims and the bodies of the token API.
//! - [`ingest`]: the ingest unit's connections, discovered topics, device model and parse log.
//! - [`codec`]: bytes ↔ types with clear errors.

pub mod api;
pub mod auth;
pub mod codec;
pub mod correlation;
pub mod dead_letter;
pub mod hub;
pub mod ingest;
pub mod namespace;
pub mod presence;
pub mod reply;
pub mod role;
pub mod session;
pub mod state;
pub mod state_ext;
pub mod timestamp;
pub mod todo;
pub mod token;
pub mod topic;
pub mod topics;

pub use api::{ApiReply, ApiRequest, Caller};
pub use auth::{AppReady, AuthSuccess};
pub use codec::{decode, decode_object, encode, DecodeError, MAX_PAYLOAD_BYTES};
pub use correlation::{Correlation, MAX_REQUEST_ID_CHARS};
pub use dead_letter::{DeadLetter, MAX_DEAD_LETTER_PAYLOAD, MAX_DEAD_LETTER_TOPIC};
pub use hub::{hub_status, HubAck, HubMethod, HubRequest, HubResponse};
pub use namespace::Namespace;
pub use presence::{presence_status, Ping, PingReply, UnitInfo};
pub use reply::{Ack, ErrorBody, ErrorCode, ErrorReply, FieldError, ReplyStatus};
pub use role::{Role, UnknownRole};
pub use session::{SessionInfo, SessionQuery, SessionStatus};
pub use state::{
    as_the_original_stores, StateAction, StateAllGet, StateAllValue, StateClear, StateDelete,
    StateGet, StateKeysList, StateKeysQuery, StateSet, StateValue, StateValueEcho, ValueStatus,
};
pub use state_ext::{
    BulkEntry, BulkValue, ChangeOp, EntryMeta, StateAck, StateBulkGet, StateBulkSet,
    StateBulkValue, StateChanged,
};
pub use timestamp::Timestamp;
pub use todo::{Todo, TodoChanged, TodoDraft, TodoOp, TodoPage, TodoPatch};
pub use token::{AccessClaims, Credentials, RefreshRequest, TokenPair};
pub use topic::{Topic, TopicError, TopicFilter};

#[cfg(test)]
mod compat_tests;
