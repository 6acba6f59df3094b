//! The todo unit's payloads (docs/protocol.md, "The todo unit"): a [`Todo`], what creates one
//! ([`TodoDraft`]) and changes one ([`TodoPatch`]), a page of a list ([`TodoPage`]) and the
//! change event ([`TodoChanged`]).
//!
//! Requests reach the unit as [`ApiRequest`](super::ApiRequest)s on `modt/todo/{list, create,
//! get, update, delete}` (`topics::TODO_*`); these types are their bodies and replies. The
//! limits are the unit's rules, named here so that clients can check before sending.

use serde::{Deserialize, Serialize};

use super::Timestamp;

/// Longest title, in characters.
pub const MAX_TITLE_CHARS: usize = 200;

/// Longest notes, in characters.
pub const MAX_NOTES_CHARS: usize = 4000;

/// Items on a page when the request names no `limit`.
pub const DEFAULT_PAGE_SIZE: usize = 20;

/// Most items on one page (`limit`).
pub const MAX_PAGE_SIZE: usize = 100;

/// One todo item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Todo {
    /// Its id, assigned by the unit.
    pub id: String,
    /// The `user_id` of its owner.
    pub owner: String,
    /// What is to be done (1–[`MAX_TITLE_CHARS`] characters, not only spaces).
    pub title: String,
    /// Free text (≤ [`MAX_NOTES_CHARS`] characters).
    #[serde(default)]
    pub notes: String,
    /// Whether it is done.
    pub done: bool,
    /// Starts at 1, grows by 1 per change; the HTTP `ETag` is `"{version}"`.
    pub version: u64,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

/// The body of `POST /todos`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TodoDraft {
    /// What is to be done.
    pub title: String,
    /// Free text.
    #[serde(default)]
    pub notes: String,
    /// Whether it is already done.
    #[serde(default)]
    pub done: bool,
}

/// The body of `PATCH /todos/{id}`: the fields to change; absent ones stay.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TodoPatch {
    /// A new title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// New notes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// Done or not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done: Option<bool>,
}

/// One page of `GET /todos`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TodoPage {
    /// The items, in the order asked for.
    pub items: Vec<Todo>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// What happened to a todo, in a [`TodoChanged`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TodoOp {
    /// It was created.
    Created,
    /// It was changed.
    Updated,
    /// It was deleted.
    Deleted,
}

/// A change event on `modt/todo/changed/{user_id}` (QoS 0, after commit), for the owner's
/// open pages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TodoChanged {
    /// The owner.
    pub user_id: String,
    /// What happened.
    pub op: TodoOp,
    /// The todo's id.
    pub id: String,
    /// Its version after the change (the deleted version for `deleted`).
    pub version: u64,
    /// The todo after the change; absent for `deleted`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub todo: Option<Todo>,
}
