//! The writer thread: the only connection that writes. It takes every batch waiting in its
//! queue (up to [`MAX_BATCH`](crate::store::queue::MAX_BATCH) writes), applies each in its own savepoint,
//! commits them in one transaction (one fsync), and only then acknowledges them. A batch with
//! a retry key already remembered is answered from [`requests`](super::requests) instead.

use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Instant;

use flume::RecvTimeoutError;
use rusqlite::{params, Connection, OptionalExtension};

use super::idle::{Idle, REST_AFTER, SWEEP_EVERY};
use super::reader::ReadPool;
use super::requests;
use super::{now_ms, now_text, storage};
use crate::store::queue::{self, Drain, Job, Msg, Queue};
use crate::store::{
    BatchResult, Committed, StoreError, Write, WriteBarrier, WriteOutcome, WriteTicket,
    REMEMBER_REQUESTS,
};

#[derive(Debug)]
pub(crate) struct Writer {
    queue: Queue,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Writer {
    /// Starts the writer thread on `conn`; it also closes `readers`' connections when reads
    /// and writes have stopped ([`REST_AFTER`]).
    pub(crate) fn start(
        conn: Connection,
        capacity: usize,
        readers: Arc<ReadPool>,
    ) -> Result<Writer, StoreError> {
        let (queue, drain) = queue::queue(capacity);
        let thread = std::thread::Builder::new()
            .name("modt-state-writer".into())
            .spawn(move || run(conn, drain, &readers))
            .map_err(|e| StoreError::Unavailable(format!("cannot start the writer thread: {e}")))?;
        Ok(Writer {
            queue,
            thread: Mutex::new(Some(thread)),
        })
    }

    pub(crate) fn submit(
        &self,
        retry_key: Option<&str>,
        writes: Vec<Write>,
    ) -> Result<WriteTicket, StoreError> {
        self.queue.submit(retry_key, writes)
    }

    pub(crate) fn barrier(&self) -> WriteBarrier {
        self.queue.barrier()
    }

    /// Commits what is queued, then stops the thread. Blocking.
    pub(crate) fn stop(&self) {
        self.queue.stop();
        if let Some(t) = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = t.join();
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn run(mut conn: Connection, drain: Drain, readers: &ReadPool) {
    let mut stop = false;
    let mut forgotten = Instant::now();
    let mut idle = Idle::new(Instant::now());
    while !stop {
        if forgotten.elapsed() >= SWEEP_EVERY {
            forgotten = Instant::now();
            forget_old_requests(&conn);
        }
        let first = match drain.rx.recv_timeout(idle.wait(Instant::now())) {
            Ok(Msg::Job(j)) => j,
            Err(RecvTimeoutError::Timeout) => {
                // Reads may go on after the last write, keeping their connections open and
                // the writer from resting; the sweep keeps its own schedule.
                if idle.sweep_due(Instant::now()) {
                    sweep(&mut conn);
                }
                if idle.rested(rest(&conn, readers)) {
                    // The burst is over: the process gives back what it freed meanwhile.
                    modt::memory::load_ended();
                }
                continue;
            }
            Ok(Msg::Stop) | Err(RecvTimeoutError::Disconnected) => break,
        };
        idle.wrote();
        let (jobs, stop_now) = drain.gather(first);
        stop = stop_now;
        let results = match commit(&mut conn, &jobs) {
            Ok(results) => results,
            Err(e) => {
                tracing::error!(error = %e, batches = jobs.len(), "state commit failed");
                jobs.iter().map(|_| Err(e.clone())).collect()
            }
        };
        drain.finish(jobs, results);
    }
}

/// Gives the memory of a burst back: the writer's page cache (it fills again on demand) and
/// the read connections unused for [`REST_AFTER`]. Returns how many read connections are
/// still open.
fn rest(conn: &Connection, readers: &ReadPool) -> usize {
    if let Err(e) = conn.execute_batch("PRAGMA shrink_memory") {
        tracing::debug!(error = %e, "shrink_memory failed");
    }
    let (closed, open) = readers.close_unused(REST_AFTER);
    if closed > 0 {
        tracing::debug!(closed, open, "unused read connections closed");
    }
    open
}

fn forget_old_requests(conn: &Connection) {
    let window = i64::try_from(REMEMBER_REQUESTS.as_millis()).unwrap_or(i64::MAX);
    match requests::forget_before(conn, now_ms().saturating_sub(window)) {
        Ok(0) => {}
        Ok(n) => tracing::debug!(forgotten = n, "old request ids forgotten"),
        Err(e) => tracing::warn!(error = %e, "forgetting old request ids failed"),
    }
}

fn sweep(conn: &mut Connection) {
    let result = conn
        .execute(
            "DELETE FROM states WHERE expires_at IS NOT NULL AND expires_at <= ?",
            params![now_ms()],
        )
        .map_err(storage);
    match result {
        Ok(0) => {}
        Ok(n) => tracing::debug!(removed = n, "expired keys swept"),
        Err(e) => tracing::warn!(error = %e, "sweeping expired keys failed"),
    }
}

/// One transaction for all jobs; each job in a savepoint, so a conflict undoes only its own batch.
/// `IMMEDIATE`: the write lock is taken before the retry keys are looked up, so several writers
/// on one file (replicas of the unit on one machine, `modt up --replicas state=N`) take turns,
/// and each sees the requests the others committed; a deferred transaction could read, then
/// fail to upgrade to writing (`SQLITE_BUSY`) when another writer committed in between.
fn commit(conn: &mut Connection, jobs: &[Job]) -> Result<Vec<BatchResult>, StoreError> {
    let mut tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(storage)?;
    let mut results = Vec::with_capacity(jobs.len());
    let now = now_ms();
    let stamp = now_text();
    for job in jobs {
        if let Some(id) = &job.request {
            if let Some(first) = requests::recall(&tx, id)? {
                results.push(first);
                continue;
            }
        }
        let outcome = apply_job(&mut tx, job, now, &stamp)?;
        if let Some(id) = &job.request {
            requests::remember(&tx, id, &outcome, now)?;
        }
        results.push(outcome.map(|outcomes| Committed {
            outcomes,
            replayed: false,
        }));
    }
    tx.commit().map_err(storage)?;
    Ok(results)
}

/// Applies one job's writes, all or none. The outer error is a database failure that fails
/// the whole transaction; the inner one refuses only this job.
fn apply_job(
    tx: &mut rusqlite::Transaction<'_>,
    job: &Job,
    now: i64,
    stamp: &str,
) -> Result<Result<Vec<WriteOutcome>, StoreError>, StoreError> {
    // A lone set or delete needs no savepoint: it modifies with one statement, and a
    // failed statement changes nothing. (A clear runs two, so it keeps its savepoint.)
    if let [write @ (Write::Set { .. } | Write::Delete { .. })] = job.writes.as_slice() {
        return Ok(apply(tx, write, now, stamp).map(|o| vec![o]));
    }
    let mut sp = tx.savepoint().map_err(storage)?;
    let outcome: Result<Vec<WriteOutcome>, StoreError> = job
        .writes
        .iter()
        .map(|w| apply(&sp, w, now, stamp))
        .collect();
    if outcome.is_ok() {
        sp.commit().map_err(storage)?;
    } else {
        sp.rollback().map_err(storage)?;
    }
    Ok(outcome)
}

fn live_version(c: &Connection, user_id: &str, key: &str, now: i64) -> Result<u64, StoreError> {
    let v: Option<i64> = c
        .prepare_cached(
            "SELECT version FROM states WHERE user_id = ? AND key = ? AND (expires_at IS NULL OR expires_at > ?)",
        )
        .and_then(|mut s| s.query_row(params![user_id, key, now], |r| r.get(0)).optional())
        .map_err(storage)?;
    Ok(v.unwrap_or(0).max(0) as u64)
}

fn check(
    c: &Connection,
    user_id: &str,
    key: &str,
    expected: Option<u64>,
    now: i64,
) -> Result<(), StoreError> {
    if let Some(expected) = expected {
        let found = live_version(c, user_id, key, now)?;
        if found != expected {
            return Err(StoreError::Conflict {
                key: key.to_owned(),
                expected,
                found,
            });
        }
    }
    Ok(())
}

fn apply(c: &Connection, w: &Write, now: i64, stamp: &str) -> Result<WriteOutcome, StoreError> {
    match w {
        Write::Set {
            user_id,
            key,
            value,
            if_version,
            ttl,
        } => {
            check(c, user_id, key, *if_version, now)?;
            let text =
                serde_json::to_string(value).map_err(|e| StoreError::Storage(e.to_string()))?;
            let expires =
                ttl.map(|t| now.saturating_add(i64::try_from(t.as_millis()).unwrap_or(i64::MAX)));
            let version: i64 = c
                .prepare_cached(
                    "INSERT INTO states (user_id, key, value, updated_at, version, expires_at)
                     VALUES (?1, ?2, ?3, ?4, 1, ?5)
                     ON CONFLICT (user_id, key) DO UPDATE SET
                        value = excluded.value, updated_at = excluded.updated_at,
                        version = states.version + 1, expires_at = excluded.expires_at",
                )
                .and_then(|mut s| s.execute(params![user_id, key, text, stamp, expires]))
                .and_then(|_| {
                    c.prepare_cached("SELECT version FROM states WHERE user_id = ? AND key = ?")?
                        .query_row(params![user_id, key], |r| r.get(0))
                })
                .map_err(storage)?;
            Ok(WriteOutcome::Set {
                version: version.max(0) as u64,
            })
        }
        Write::Delete {
            user_id,
            key,
            if_version,
        } => {
            check(c, user_id, key, *if_version, now)?;
            let found = live_version(c, user_id, key, now)?;
            c.prepare_cached("DELETE FROM states WHERE user_id = ? AND key = ?")
                .and_then(|mut s| s.execute(params![user_id, key]))
                .map_err(storage)?;
            Ok(WriteOutcome::Deleted {
                version: (found > 0).then_some(found),
            })
        }
        Write::Clear { user_id } => {
            let live = c
                .prepare_cached("DELETE FROM states WHERE user_id = ? AND (expires_at IS NULL OR expires_at > ?)")
                .and_then(|mut s| s.execute(params![user_id, now]))
                .map_err(storage)?;
            c.prepare_cached("DELETE FROM states WHERE user_id = ?")
                .and_then(|mut s| s.execute(params![user_id]))
                .map_err(storage)?;
            Ok(WriteOutcome::Removed { count: live as u64 })
        }
    }
}
