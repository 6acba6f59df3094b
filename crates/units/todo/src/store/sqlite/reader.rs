//! Reads: a small pool of read-only connections (WAL lets them read beside the writer), used
//! from `spawn_blocking`, and the decoding of rows.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension, Row};

use super::storage;
use crate::store::list_sql::{self, Param, COLUMNS};
use crate::store::{ListSpec, StoreError, Stored};

/// Read connections kept for reuse.
pub(crate) const READERS: usize = 4;

#[derive(Debug)]
pub(crate) struct ReadPool {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    closed: AtomicBool,
}

impl ReadPool {
    pub(crate) fn new(path: PathBuf) -> Self {
        ReadPool {
            path,
            idle: Mutex::new(Vec::new()),
            closed: AtomicBool::new(false),
        }
    }

    /// Runs `f` on a pooled connection. Blocking: call from `spawn_blocking`.
    pub(crate) fn with<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        if self.closed.load(Ordering::Acquire) {
            return Err(StoreError::Unavailable("the store is closed".into()));
        }
        let conn = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let conn = match conn {
            Some(c) => c,
            None => modt_store::sqlite::open_reader(&self.path)
                .map_err(|e| StoreError::Unavailable(e.to_string()))?,
        };
        let result = f(&conn);
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < READERS {
            idle.push(conn);
        }
        result
    }

    /// Drops the idle connections (a closed store reads nothing more).
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.idle.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }
}

/// A row of [`COLUMNS`].
pub(crate) fn stored(r: &Row<'_>) -> rusqlite::Result<Stored> {
    Ok(Stored::from_columns(
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
    ))
}

/// The todo `id`, if `owner`'s (any owner's when `None`).
pub(crate) fn get(
    c: &Connection,
    owner: Option<&str>,
    id: &str,
) -> Result<Option<Stored>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM todos WHERE id = ?1 AND (?2 IS NULL OR owner = ?2)");
    c.prepare_cached(&sql)
        .and_then(|mut s| s.query_row(rusqlite::params![id, owner], stored).optional())
        .map_err(storage)
}

/// A page of `spec`.
pub(crate) fn list(c: &Connection, spec: &ListSpec) -> Result<Vec<Stored>, StoreError> {
    let (sql, params) = list_sql::list(spec, |n| format!("?{n}"));
    let values: Vec<rusqlite::types::Value> = params
        .into_iter()
        .map(|p| match p {
            Param::Text(t) => rusqlite::types::Value::Text(t),
            Param::Int(i) => rusqlite::types::Value::Integer(i),
            Param::Bool(b) => rusqlite::types::Value::Integer(i64::from(b)),
        })
        .collect();
    let mut stmt = c.prepare_cached(&sql).map_err(storage)?;
    let rows = stmt
        .query_map(rusqlite::params_from_iter(values), stored)
        .map_err(storage)?;
    rows.collect::<Result<_, _>>().map_err(storage)
}
