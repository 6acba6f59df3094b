//! The list query, built the same way for both backends from fixed fragments (nothing the
//! requester sent is ever spliced into the SQL; values are bound parameters): the owner's
//! todos, optionally only done or open ones, strictly after a position in keyset order
//! (`(column, id) > (key, id)`), ordered by the sort column then `id`, at most `limit`.
//!
//! Keyset pages stay stable while todos are added: a page starts exactly after the last one
//! shown, so nothing is shown twice or skipped, whatever was inserted meanwhile.

use super::{ListSpec, SortKey};

/// The columns every read selects, in [`Stored::from_columns`](super::Stored) order.
pub(crate) const COLUMNS: &str = "id, owner, title, notes, done, version, created_ms, updated_ms";

/// A bound value of the list query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Param {
    Text(String),
    Int(i64),
    Bool(bool),
}

/// The SQL of `spec` with `placeholder(n)` for the n-th parameter (1-based: `?n` or `$n`),
/// and its parameters.
pub(crate) fn list(spec: &ListSpec, placeholder: fn(usize) -> String) -> (String, Vec<Param>) {
    let mut params = vec![Param::Text(spec.owner.clone())];
    let mut sql = format!(
        "SELECT {COLUMNS} FROM todos WHERE owner = {}",
        placeholder(1)
    );
    if let Some(done) = spec.done {
        params.push(Param::Bool(done));
        sql.push_str(&format!(" AND done = {}", placeholder(params.len())));
    }
    let column = spec.sort.column();
    let (cmp, dir) = if spec.sort.descending() {
        ("<", "DESC")
    } else {
        (">", "ASC")
    };
    if let Some(after) = &spec.after {
        params.push(match &after.key {
            SortKey::Time(ms) => Param::Int(*ms),
            SortKey::Text(t) => Param::Text(t.clone()),
        });
        let key_at = placeholder(params.len());
        params.push(Param::Text(after.id.clone()));
        let id_at = placeholder(params.len());
        sql.push_str(&format!(" AND ({column}, id) {cmp} ({key_at}, {id_at})"));
    }
    params.push(Param::Int(i64::try_from(spec.limit).unwrap_or(i64::MAX)));
    sql.push_str(&format!(
        " ORDER BY {column} {dir}, id {dir} LIMIT {}",
        placeholder(params.len())
    ));
    (sql, params)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Position, Sort};

    #[test]
    fn a_page_after_a_cursor_in_descending_order() {
        let spec = ListSpec {
            owner: "u".into(),
            done: Some(false),
            sort: Sort::CreatedDesc,
            after: Some(Position {
                key: SortKey::Time(5),
                id: "x".into(),
            }),
            limit: 3,
        };
        let (sql, params) = list(&spec, |n| format!("${n}"));
        assert!(sql.ends_with(
            "WHERE owner = $1 AND done = $2 AND (created_ms, id) < ($3, $4) ORDER BY created_ms DESC, id DESC LIMIT $5"
        ), "{sql}");
        assert_eq!(params.len(), 5);
    }
}
