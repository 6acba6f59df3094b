//! What goes into the store and comes out of it, the same for both backends.

use modt::protocol::{Timestamp, Todo, TodoPatch};
use serde::{Deserialize, Serialize};

use super::RequestKey;

/// A todo as stored: the todo, and its times in milliseconds (the sort keys; the todo's
/// timestamps show seconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// The todo.
    pub todo: Todo,
    /// Created, Unix milliseconds.
    pub created_ms: i64,
    /// Last changed, Unix milliseconds.
    pub updated_ms: i64,
}

impl Stored {
    /// A todo from its stored columns.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn from_columns(
        id: String,
        owner: String,
        title: String,
        notes: String,
        done: bool,
        version: i64,
        created_ms: i64,
        updated_ms: i64,
    ) -> Stored {
        Stored {
            todo: Todo {
                id,
                owner,
                title,
                notes,
                done,
                version: u64::try_from(version).unwrap_or(0),
                created_at: timestamp(created_ms),
                updated_at: timestamp(updated_ms),
            },
            created_ms,
            updated_ms,
        }
    }

    /// This todo with `patch` applied at `now_ms`: the fields given replaced, version + 1.
    pub(crate) fn patched(&self, patch: &TodoPatch, now_ms: i64) -> Stored {
        let t = &self.todo;
        // Never earlier than created (a clock stepping back), so `updated` sorts sensibly.
        let updated_ms = now_ms.max(self.created_ms);
        Stored::from_columns(
            t.id.clone(),
            t.owner.clone(),
            patch.title.clone().unwrap_or_else(|| t.title.clone()),
            patch.notes.clone().unwrap_or_else(|| t.notes.clone()),
            patch.done.unwrap_or(t.done),
            i64::try_from(t.version.saturating_add(1)).unwrap_or(i64::MAX),
            self.created_ms,
            updated_ms,
        )
    }
}

/// Unix milliseconds as the wire's timestamp (UTC, seconds).
pub(crate) fn timestamp(ms: i64) -> Timestamp {
    Timestamp::at(chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default())
}

/// A new todo, its id and owner assigned by the unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTodo {
    /// Its id.
    pub id: String,
    /// Its owner's user id.
    pub owner: String,
    /// Title (validated).
    pub title: String,
    /// Notes (validated).
    pub notes: String,
    /// Done already.
    pub done: bool,
    /// Now, Unix milliseconds.
    pub now_ms: i64,
}

impl NewTodo {
    /// The todo as stored: version 1, created and updated now.
    pub(crate) fn stored(&self) -> Stored {
        Stored::from_columns(
            self.id.clone(),
            self.owner.clone(),
            self.title.clone(),
            self.notes.clone(),
            self.done,
            1,
            self.now_ms,
            self.now_ms,
        )
    }
}

/// One change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteOp {
    /// Create a todo.
    Create(NewTodo),
    /// Change the fields `patch` gives; version + 1.
    Update {
        /// The todo.
        id: String,
        /// Only if it is this user's (`None`: anyone's, for administrators).
        owner: Option<String>,
        /// Only if its version is one of these (`None`: whatever it is).
        if_match: Option<Vec<u64>>,
        /// The fields to change (validated).
        patch: TodoPatch,
        /// Now, Unix milliseconds.
        now_ms: i64,
    },
    /// Delete a todo.
    Delete {
        /// The todo.
        id: String,
        /// Only if it is this user's (`None`: anyone's).
        owner: Option<String>,
        /// Only if its version is one of these (`None`: whatever it is).
        if_match: Option<Vec<u64>>,
    },
}

/// A write and the keys its answer is remembered under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Write {
    /// The change.
    pub op: WriteOp,
    /// Request keys: a write carrying one that is remembered is answered, not applied.
    pub keys: Vec<RequestKey>,
    /// Now, Unix milliseconds (for the keys' windows).
    pub now_ms: i64,
}

/// What a write did; remembered under its request keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Created this todo.
    Created(Todo),
    /// Changed it to this.
    Updated(Todo),
    /// Deleted it; this was its last state.
    Deleted(Todo),
}

impl Outcome {
    /// The todo after the change (before it, for a deletion).
    pub fn todo(&self) -> &Todo {
        match self {
            Outcome::Created(t) | Outcome::Updated(t) | Outcome::Deleted(t) => t,
        }
    }
}

/// A write's outcome, and whether it is a remembered one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// What the write did (or did the first time).
    pub outcome: Outcome,
    /// A key was remembered: this is the first answer, and nothing was written now.
    pub replayed: bool,
}

/// The order of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    /// Oldest first.
    Created,
    /// Newest first (the default).
    CreatedDesc,
    /// Least recently changed first.
    Updated,
    /// Most recently changed first.
    UpdatedDesc,
    /// By title, A to Z (bytewise).
    Title,
    /// By title, Z to A.
    TitleDesc,
}

impl Sort {
    /// Every order, by its `sort` parameter.
    pub const ALL: [(&'static str, Sort); 6] = [
        ("created", Sort::Created),
        ("-created", Sort::CreatedDesc),
        ("updated", Sort::Updated),
        ("-updated", Sort::UpdatedDesc),
        ("title", Sort::Title),
        ("-title", Sort::TitleDesc),
    ];

    /// The `sort` parameter that names it.
    pub fn as_str(self) -> &'static str {
        Sort::ALL
            .iter()
            .find(|(_, s)| *s == self)
            .map_or("-created", |(name, _)| name)
    }

    /// The order named by a `sort` parameter.
    pub fn parse(text: &str) -> Option<Sort> {
        Sort::ALL.iter().find(|(n, _)| *n == text).map(|(_, s)| *s)
    }

    /// Whether it goes from high to low.
    pub fn descending(self) -> bool {
        matches!(
            self,
            Sort::CreatedDesc | Sort::UpdatedDesc | Sort::TitleDesc
        )
    }

    /// The column it sorts on (then `id`).
    pub(crate) fn column(self) -> &'static str {
        match self {
            Sort::Created | Sort::CreatedDesc => "created_ms",
            Sort::Updated | Sort::UpdatedDesc => "updated_ms",
            Sort::Title | Sort::TitleDesc => "title",
        }
    }

    /// `stored`'s key in this order.
    pub fn key_of(self, stored: &Stored) -> SortKey {
        match self {
            Sort::Created | Sort::CreatedDesc => SortKey::Time(stored.created_ms),
            Sort::Updated | Sort::UpdatedDesc => SortKey::Time(stored.updated_ms),
            Sort::Title | Sort::TitleDesc => SortKey::Text(stored.todo.title.clone()),
        }
    }

    /// Whether `key` is of the kind this order sorts on.
    pub fn fits(self, key: &SortKey) -> bool {
        matches!(
            (self.column(), key),
            ("title", SortKey::Text(_)) | ("created_ms" | "updated_ms", SortKey::Time(_))
        )
    }
}

/// A value of the sort column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SortKey {
    /// Milliseconds (`created`, `updated`).
    Time(i64),
    /// A title.
    Text(String),
}

/// A place in a list: after the todo with this sort key and id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    /// The sort column's value.
    pub key: SortKey,
    /// The id (ties on the key are ordered by id).
    pub id: String,
}

/// Which todos a list asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListSpec {
    /// Whose.
    pub owner: String,
    /// Only done (`Some(true)`) or open (`Some(false)`) ones.
    pub done: Option<bool>,
    /// In which order.
    pub sort: Sort,
    /// Strictly after this place (a cursor); from the start when `None`.
    pub after: Option<Position>,
    /// At most this many.
    pub limit: usize,
}

impl Stored {
    /// Whether a write with `if_match` may change this todo: yes without one, else only
    /// when its version is one of them.
    pub(crate) fn check(&self, if_match: Option<&[u64]>) -> Result<(), super::StoreError> {
        match if_match {
            Some(versions) if !versions.contains(&self.todo.version) => {
                Err(super::StoreError::PreconditionFailed {
                    current: self.todo.version,
                })
            }
            _ => Ok(()),
        }
    }
}
