//! What the todo unit accepts, checked before anything is stored, each broken rule reported
//! as a [`FieldError`] (`unprocessable`, HTTP 422): body fields by JSON pointer (`/title`,
//! the whole body as `""`), query parameters and headers by name.
//!
//! - Bodies: [`draft`] (`POST /todos`), [`patch`] (`PATCH /todos/{id}`): only known fields,
//!   each of its JSON type; a title of 1–[`MAX_TITLE_CHARS`] characters, not only spaces and
//!   without control characters; notes of at most [`MAX_NOTES_CHARS`] characters, without NUL.
//! - Queries: [`list_query`] (`GET /todos`): `limit`, `done`, `sort`, `cursor`, `owner`.
//! - Headers: [`if_match`], [`idempotency_key`].

use std::collections::BTreeMap;

use modt::protocol::todo::{DEFAULT_PAGE_SIZE, MAX_NOTES_CHARS, MAX_PAGE_SIZE, MAX_TITLE_CHARS};
use modt::protocol::{FieldError, TodoDraft, TodoPatch};
use serde_json::{Map, Value};

use crate::cursor;
use crate::store::{Position, Sort};

/// Longest `Idempotency-Key`, in characters.
pub const MAX_IDEMPOTENCY_KEY_CHARS: usize = 255;

/// Longest user id accepted in `owner`, in characters.
pub const MAX_OWNER_CHARS: usize = 256;

/// The body of `POST /todos`.
pub fn draft(body: Option<&Value>) -> Result<TodoDraft, Vec<FieldError>> {
    let fields = object(body)?;
    let mut errors = Vec::new();
    let mut draft = TodoDraft {
        title: String::new(),
        notes: String::new(),
        done: false,
    };
    match fields.get("title") {
        None => errors.push(FieldError::new("/title", "is required")),
        Some(v) => {
            if let Some(t) = text(v, "/title", &mut errors) {
                title(t, &mut errors);
                draft.title = t.to_owned();
            }
        }
    }
    if let Some(n) = fields
        .get("notes")
        .and_then(|v| text(v, "/notes", &mut errors))
    {
        notes(n, &mut errors);
        draft.notes = n.to_owned();
    }
    if let Some(d) = fields
        .get("done")
        .and_then(|v| flag(v, "/done", &mut errors))
    {
        draft.done = d;
    }
    unknown(fields, &mut errors);
    if errors.is_empty() {
        Ok(draft)
    } else {
        Err(errors)
    }
}

/// The body of `PATCH /todos/{id}`: at least one field.
pub fn patch(body: Option<&Value>) -> Result<TodoPatch, Vec<FieldError>> {
    let fields = object(body)?;
    let mut errors = Vec::new();
    let mut patch = TodoPatch::default();
    if let Some(t) = fields
        .get("title")
        .and_then(|v| text(v, "/title", &mut errors))
    {
        title(t, &mut errors);
        patch.title = Some(t.to_owned());
    }
    if let Some(n) = fields
        .get("notes")
        .and_then(|v| text(v, "/notes", &mut errors))
    {
        notes(n, &mut errors);
        patch.notes = Some(n.to_owned());
    }
    if let Some(d) = fields
        .get("done")
        .and_then(|v| flag(v, "/done", &mut errors))
    {
        patch.done = Some(d);
    }
    unknown(fields, &mut errors);
    if errors.is_empty() && patch == TodoPatch::default() {
        errors.push(FieldError::new(
            "",
            "names no field to change (title, notes, done)",
        ));
    }
    if errors.is_empty() {
        Ok(patch)
    } else {
        Err(errors)
    }
}

fn object(body: Option<&Value>) -> Result<&Map<String, Value>, Vec<FieldError>> {
    match body {
        Some(Value::Object(fields)) => Ok(fields),
        Some(_) => Err(vec![FieldError::new("", "must be a JSON object")]),
        None => Err(vec![FieldError::new("", "is required (a JSON object)")]),
    }
}

fn text<'a>(v: &'a Value, field: &str, errors: &mut Vec<FieldError>) -> Option<&'a str> {
    let t = v.as_str();
    if t.is_none() {
        errors.push(FieldError::new(field, "must be a string"));
    }
    t
}

fn flag(v: &Value, field: &str, errors: &mut Vec<FieldError>) -> Option<bool> {
    let b = v.as_bool();
    if b.is_none() {
        errors.push(FieldError::new(field, "must be true or false"));
    }
    b
}

fn title(t: &str, errors: &mut Vec<FieldError>) {
    if t.trim().is_empty() {
        errors.push(FieldError::new("/title", "must not be empty"));
    } else if t.chars().count() > MAX_TITLE_CHARS {
        errors.push(FieldError::new(
            "/title",
            format!("must be at most {MAX_TITLE_CHARS} characters"),
        ));
    } else if t.chars().any(char::is_control) {
        errors.push(FieldError::new(
            "/title",
            "must not contain control characters",
        ));
    }
}

fn notes(n: &str, errors: &mut Vec<FieldError>) {
    if n.chars().count() > MAX_NOTES_CHARS {
        errors.push(FieldError::new(
            "/notes",
            format!("must be at most {MAX_NOTES_CHARS} characters"),
        ));
    } else if n.contains('\0') {
        errors.push(FieldError::new("/notes", "must not contain NUL characters"));
    }
}

fn unknown(fields: &Map<String, Value>, errors: &mut Vec<FieldError>) {
    for name in fields.keys() {
        if !matches!(name.as_str(), "title" | "notes" | "done") {
            errors.push(FieldError::new(
                format!("/{}", pointer_escape(name)),
                "is not a field of a todo",
            ));
        }
    }
}

/// `name` as one JSON pointer token (RFC 6901: `~` → `~0`, `/` → `~1`).
fn pointer_escape(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

/// `GET /todos`'s query, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    /// Items per page.
    pub limit: usize,
    /// Only done or open ones.
    pub done: Option<bool>,
    /// The order.
    pub sort: Sort,
    /// Where the page starts (from `cursor`).
    pub after: Option<Position>,
    /// Another user's list (administrators only; checked by the handler).
    pub owner: Option<String>,
}

/// Checks `GET /todos`'s query parameters; unknown ones are refused too.
pub fn list_query(query: &BTreeMap<String, String>) -> Result<ListQuery, Vec<FieldError>> {
    let mut errors = Vec::new();
    let limit = match query.get("limit") {
        None => DEFAULT_PAGE_SIZE,
        Some(v) => match v.parse::<usize>() {
            Ok(n) if (1..=MAX_PAGE_SIZE).contains(&n) => n,
            _ => {
                errors.push(FieldError::new(
                    "limit",
                    format!("must be a whole number from 1 to {MAX_PAGE_SIZE}"),
                ));
                DEFAULT_PAGE_SIZE
            }
        },
    };
    let done = match query.get("done").map(String::as_str) {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(_) => {
            errors.push(FieldError::new("done", "must be true or false"));
            None
        }
    };
    let sort = match query.get("sort") {
        None => Sort::CreatedDesc,
        Some(v) => Sort::parse(v).unwrap_or_else(|| {
            let names: Vec<&str> = Sort::ALL.iter().map(|(n, _)| *n).collect();
            errors.push(FieldError::new(
                "sort",
                format!("must be one of {}", names.join(", ")),
            ));
            Sort::CreatedDesc
        }),
    };
    let after = match query.get("cursor") {
        None => None,
        Some(c) => match cursor::decode(c, sort) {
            Ok(at) => Some(at),
            Err(e) => {
                errors.push(FieldError::new("cursor", e.to_string()));
                None
            }
        },
    };
    let owner = query.get("owner").cloned();
    if let Some(o) = &owner {
        if o.is_empty() || o.chars().count() > MAX_OWNER_CHARS || o.chars().any(char::is_control) {
            errors.push(FieldError::new(
                "owner",
                format!("must be a user id of 1 to {MAX_OWNER_CHARS} characters"),
            ));
        }
    }
    for name in query.keys() {
        if !matches!(
            name.as_str(),
            "limit" | "done" | "sort" | "cursor" | "owner"
        ) {
            errors.push(FieldError::new(
                name.clone(),
                "is not a parameter of this list",
            ));
        }
    }
    if errors.is_empty() {
        Ok(ListQuery {
            limit,
            done,
            sort,
            after,
            owner,
        })
    } else {
        Err(errors)
    }
}

/// The versions an `If-Match` header allows: `None` for no header or `*` (any version);
/// else the versions of its strong entity tags `"N"` (weak or foreign tags match nothing,
/// so a header of only those fails the check).
pub fn if_match(header: Option<&str>) -> Option<Vec<u64>> {
    let header = header?.trim();
    if header == "*" {
        return None;
    }
    Some(
        header
            .split(',')
            .filter_map(|tag| {
                tag.trim()
                    .strip_prefix('"')?
                    .strip_suffix('"')?
                    .parse()
                    .ok()
            })
            .collect(),
    )
}

/// The `etag` of a version: `"{version}"`.
pub fn etag(version: u64) -> String {
    format!("\"{version}\"")
}

/// An `Idempotency-Key` header: 1–[`MAX_IDEMPOTENCY_KEY_CHARS`] visible ASCII characters.
pub fn idempotency_key(header: Option<&str>) -> Result<Option<&str>, FieldError> {
    match header {
        None => Ok(None),
        Some(k)
            if !k.is_empty()
                && k.len() <= MAX_IDEMPOTENCY_KEY_CHARS
                && k.bytes().all(|b| b.is_ascii_graphic() || b == b' ') =>
        {
            Ok(Some(k))
        }
        Some(_) => Err(FieldError::new(
            "idempotency-key",
            format!("must be 1 to {MAX_IDEMPOTENCY_KEY_CHARS} visible ASCII characters"),
        )),
    }
}

/// Whether `id` can name a todo (the unit's ids are UUIDs): anything else is `not_found`
/// without asking the store.
pub fn plausible_id(id: &str) -> bool {
    uuid::Uuid::try_parse(id).is_ok()
}

#[cfg(test)]
mod tests;
