//! The writer thread: every write, one at a time in arrival order, each in its own
//! `IMMEDIATE` transaction on the one writing connection (`synchronous=FULL`: committed means
//! on disk). Jobs wait in a bounded queue; a full queue refuses with `unavailable`.

use std::sync::{mpsc as std_mpsc, Mutex};
use std::time::Instant;

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use tokio::sync::{mpsc, oneshot};

use super::{reader, storage};
use crate::store::{remembered, Applied, Outcome, StoreError, Write, WriteOp, FORGET_EVERY};

enum Job {
    Write {
        write: Write,
        done: oneshot::Sender<Result<Applied, StoreError>>,
    },
    /// Stop after the jobs queued before this one.
    Stop,
}

/// The submitting end of the writer thread.
#[derive(Debug)]
pub(crate) struct Writer {
    tx: mpsc::Sender<Job>,
    /// Taken by the first `stop`, which waits on it for the thread to finish.
    finished: Mutex<Option<std_mpsc::Receiver<()>>>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Job::Write { .. } => "Write",
            Job::Stop => "Stop",
        })
    }
}

impl Writer {
    /// Starts the thread on `conn`, with room for `queue` waiting writes (at least 1).
    pub(crate) fn start(conn: Connection, queue: usize) -> Result<Writer, StoreError> {
        let (tx, rx) = mpsc::channel(queue.max(1));
        let (finished_tx, finished) = std_mpsc::sync_channel(1);
        std::thread::Builder::new()
            .name("modt-todo-writer".into())
            .spawn(move || serve(conn, rx, finished_tx))
            .map_err(|e| StoreError::Unavailable(format!("cannot start the writer: {e}")))?;
        Ok(Writer {
            tx,
            finished: Mutex::new(Some(finished)),
        })
    }

    /// Applies `write` once the writes before it are done.
    pub(crate) async fn write(&self, write: Write) -> Result<Applied, StoreError> {
        let (done, answer) = oneshot::channel();
        self.tx
            .try_send(Job::Write { write, done })
            .map_err(|e| match e {
                mpsc::error::TrySendError::Full(_) => {
                    StoreError::Unavailable("the write queue is full".into())
                }
                mpsc::error::TrySendError::Closed(_) => {
                    StoreError::Unavailable("the store is closed".into())
                }
            })?;
        answer
            .await
            .unwrap_or_else(|_| Err(StoreError::Unavailable("the writer stopped".into())))
    }

    /// Finishes the queued writes, stops the thread and closes the connection. Blocking; a
    /// second call returns at once.
    pub(crate) fn stop(&self) {
        let wait = self
            .finished
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(wait) = wait {
            // Waits for room; the thread is draining the queue. An error: it is gone already.
            let _ = self.tx.blocking_send(Job::Stop);
            let _ = wait.recv();
        }
    }
}

fn serve(mut conn: Connection, mut jobs: mpsc::Receiver<Job>, finished: std_mpsc::SyncSender<()>) {
    let mut swept: Option<Instant> = None;
    while let Some(job) = jobs.blocking_recv() {
        let (write, done) = match job {
            Job::Write { write, done } => (write, done),
            Job::Stop => break,
        };
        if swept.is_none_or(|at| at.elapsed() >= FORGET_EVERY) {
            swept = Some(Instant::now());
            if let Err(e) = forget_expired(&conn, write.now_ms) {
                tracing::warn!(error = %e, "could not forget expired request keys");
            }
        }
        let _ = done.send(apply(&mut conn, &write));
    }
    // Writes queued behind the stop are refused: their callers read `unavailable`.
    jobs.close();
    if let Err((_, e)) = conn.close() {
        tracing::warn!(error = %e, "could not close the todo database cleanly");
    }
    let _ = finished.try_send(());
}

/// One write in one transaction (see the store's doc).
fn apply(conn: &mut Connection, write: &Write) -> Result<Applied, StoreError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(storage)?;
    for key in &write.keys {
        let found: Option<(Vec<u8>, String)> = tx
            .prepare_cached(
                "SELECT fingerprint, answer FROM requests WHERE id = ?1 AND expires_ms > ?2",
            )
            .and_then(|mut s| {
                s.query_row(params![&key.id[..], write.now_ms], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()
            })
            .map_err(storage)?;
        if let Some((fingerprint, answer)) = found {
            return remembered::recall(key, &fingerprint, &answer);
        }
    }
    let outcome = change(&tx, &write.op)?;
    let answer = remembered::encode(&outcome)?;
    for key in &write.keys {
        tx.prepare_cached(
            "INSERT OR REPLACE INTO requests (id, fingerprint, answer, expires_ms) VALUES (?1, ?2, ?3, ?4)",
        )
        .and_then(|mut s| {
            s.execute(params![
                &key.id[..],
                &key.fingerprint[..],
                answer,
                key.expires_ms(write.now_ms)
            ])
        })
        .map_err(storage)?;
    }
    tx.commit().map_err(storage)?;
    Ok(Applied {
        outcome,
        replayed: false,
    })
}

fn change(c: &Connection, op: &WriteOp) -> Result<Outcome, StoreError> {
    match op {
        WriteOp::Create(new) => {
            let s = new.stored();
            c.prepare_cached(
                "INSERT INTO todos (id, owner, title, notes, done, version, created_ms, updated_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6, ?6)",
            )
            .and_then(|mut st| {
                st.execute(params![
                    s.todo.id,
                    s.todo.owner,
                    s.todo.title,
                    s.todo.notes,
                    s.todo.done,
                    s.created_ms
                ])
            })
            .map_err(storage)?;
            Ok(Outcome::Created(s.todo))
        }
        WriteOp::Update {
            id,
            owner,
            if_match,
            patch,
            now_ms,
        } => {
            let current = reader::get(c, owner.as_deref(), id)?.ok_or(StoreError::NotFound)?;
            current.check(if_match.as_deref())?;
            let next = current.patched(patch, *now_ms);
            let t = &next.todo;
            c.prepare_cached(
                "UPDATE todos SET title = ?2, notes = ?3, done = ?4, version = ?5, updated_ms = ?6
                 WHERE id = ?1",
            )
            .and_then(|mut st| {
                st.execute(params![
                    t.id,
                    t.title,
                    t.notes,
                    t.done,
                    i64::try_from(t.version).unwrap_or(i64::MAX),
                    next.updated_ms
                ])
            })
            .map_err(storage)?;
            Ok(Outcome::Updated(next.todo))
        }
        WriteOp::Delete {
            id,
            owner,
            if_match,
        } => {
            let current = reader::get(c, owner.as_deref(), id)?.ok_or(StoreError::NotFound)?;
            current.check(if_match.as_deref())?;
            c.prepare_cached("DELETE FROM todos WHERE id = ?1")
                .and_then(|mut st| st.execute(params![id]))
                .map_err(storage)?;
            Ok(Outcome::Deleted(current.todo))
        }
    }
}

/// Forgets remembered answers whose window has passed.
fn forget_expired(c: &Connection, now_ms: i64) -> Result<usize, StoreError> {
    c.prepare_cached("DELETE FROM requests WHERE expires_ms <= ?1")
        .and_then(|mut s| s.execute(params![now_ms]))
        .map_err(storage)
}
