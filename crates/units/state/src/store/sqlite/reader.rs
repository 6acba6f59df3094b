//! Reads: a small pool of read-only connections (WAL lets them run beside the writer), closed
//! again when reads stop, and the decoding of rows, including rows the original db-unit wrote.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rusqlite::{Connection, OptionalExtension, Row};

use super::{now_ms, schema, storage};
use crate::store::{Entry, StoreError};

/// Read connections kept for reuse: one for each reader thread.
const POOL_SIZE: usize = super::read_threads::READERS;

/// A pooled read connection and when it was last put back.
#[derive(Debug)]
struct Pooled {
    conn: Connection,
    since: Instant,
}

#[derive(Debug)]
pub(crate) struct ReadPool {
    path: PathBuf,
    idle: Mutex<Vec<Pooled>>,
}

impl ReadPool {
    pub(crate) fn new(path: PathBuf) -> Self {
        ReadPool {
            path,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Runs `f` on a pooled connection (blocking: a reader thread calls it).
    pub(crate) fn with<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let conn = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let conn = match conn {
            Some(p) => p.conn,
            None => schema::open_reader(&self.path)?,
        };
        let result = f(&conn);
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < POOL_SIZE {
            idle.push(Pooled {
                conn,
                since: Instant::now(),
            });
        }
        result
    }

    /// Closes the pooled connections unused for `unused` or longer (blocking: closing one
    /// frees its page cache and statements, memory SQLite takes from the C library, which
    /// keeps it until then). The next read opens a new one. Returns how many were closed and
    /// how many the pool still holds.
    pub(crate) fn close_unused(&self, unused: Duration) -> (usize, usize) {
        let (stale, open): (Vec<Pooled>, usize) = {
            let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
            let (stale, kept): (Vec<Pooled>, Vec<Pooled>) = std::mem::take(&mut *idle)
                .into_iter()
                .partition(|p| p.since.elapsed() >= unused);
            *idle = kept;
            (stale, idle.len())
        };
        (stale.len(), open)
    }

    /// How many connections the pool holds.
    #[cfg(test)]
    pub(crate) fn pooled(&self) -> usize {
        self.idle.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

const COLUMNS: &str = "value, version, updated_at, expires_at";
const LIVE: &str = "(expires_at IS NULL OR expires_at > ?)";

fn entry(row: &Row<'_>, at: usize) -> rusqlite::Result<Entry> {
    let value = crate::store::decode_value(row.get(at)?);
    let version: i64 = row.get(at + 1)?;
    let updated_at: String = row
        .get::<_, rusqlite::types::Value>(at + 2)
        .map(|v| match v {
            rusqlite::types::Value::Text(t) => t,
            rusqlite::types::Value::Integer(i) => i.to_string(),
            rusqlite::types::Value::Real(r) => r.to_string(),
            _ => String::new(),
        })?;
    Ok(Entry {
        value,
        version: version.max(0) as u64,
        updated_at,
        expires_at_ms: row.get(at + 3)?,
    })
}

pub(crate) fn get(c: &Connection, user_id: &str, key: &str) -> Result<Option<Entry>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM states WHERE user_id = ? AND key = ? AND {LIVE}");
    let mut stmt = c.prepare_cached(&sql).map_err(storage)?;
    stmt.query_row(rusqlite::params![user_id, key, now_ms()], |r| entry(r, 0))
        .optional()
        .map_err(storage)
}

pub(crate) fn keys(
    c: &Connection,
    user_id: &str,
    prefix: Option<&str>,
) -> Result<Vec<String>, StoreError> {
    let sql = format!("SELECT key FROM states WHERE user_id = ? AND {LIVE} AND substr(key, 1, length(?)) = ? ORDER BY key");
    let p = prefix.unwrap_or("");
    let mut stmt = c.prepare_cached(&sql).map_err(storage)?;
    let rows = stmt
        .query_map(rusqlite::params![user_id, now_ms(), p, p], |r| r.get(0))
        .map_err(storage)?;
    rows.collect::<Result<_, _>>().map_err(storage)
}

pub(crate) fn all(c: &Connection, user_id: &str) -> Result<Vec<(String, Entry)>, StoreError> {
    let sql =
        format!("SELECT key, {COLUMNS} FROM states WHERE user_id = ? AND {LIVE} ORDER BY key");
    let mut stmt = c.prepare_cached(&sql).map_err(storage)?;
    let rows = stmt
        .query_map(rusqlite::params![user_id, now_ms()], |r| {
            Ok((r.get(0)?, entry(r, 1)?))
        })
        .map_err(storage)?;
    rows.collect::<Result<_, _>>().map_err(storage)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unused_connections_are_closed_and_reads_reopen_one() -> Result<(), StoreError> {
        let dir = tempfile::tempdir().map_err(|e| StoreError::Storage(e.to_string()))?;
        let path = dir.path().join("state.db");
        drop(schema::open_writer(&path)?);
        let pool = ReadPool::new(path);
        pool.with(|c| get(c, "u", "k"))?;
        assert_eq!(pool.pooled(), 1);
        assert_eq!(pool.close_unused(Duration::from_secs(3600)), (0, 1));
        assert_eq!(pool.pooled(), 1, "a recently used connection stays");
        assert_eq!(pool.close_unused(Duration::ZERO), (1, 0));
        assert_eq!(pool.pooled(), 0);
        assert_eq!(pool.with(|c| get(c, "u", "k"))?, None);
        assert_eq!(pool.pooled(), 1);
        Ok(())
    }
}
