//! The PostgreSQL writer: one task that drains the shared write queue, commits every batch
//! waiting (up to [`MAX_BATCH`](crate::store::queue::MAX_BATCH) writes) in one transaction
//! ([`apply`](super::apply)), and only then acknowledges them. Idle for a minute, it deletes
//! expired keys; about once a minute it forgets requests older than [`REMEMBER_REQUESTS`].

use std::sync::Mutex;
use std::time::{Duration, Instant};

use modt_store::PgPool;
use tokio::task::JoinHandle;

use super::apply::{commit_jobs, Now};
use super::pg;
use crate::store::queue::{self, Drain, Job, Msg, Queue};
use crate::store::sqlite::{now_ms, now_text};
use crate::store::{BatchResult, StoreError, Write, WriteBarrier, WriteTicket, REMEMBER_REQUESTS};

/// How often an idle writer deletes expired keys (reads already hide them), and how often
/// any writer forgets old requests.
const SWEEP_EVERY: Duration = Duration::from_secs(60);

#[derive(Debug)]
pub(super) struct Writer {
    queue: Queue,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl Writer {
    /// Starts the writer task on the current runtime.
    pub(super) fn start(pool: PgPool, capacity: usize) -> Writer {
        let (queue, drain) = queue::queue(capacity);
        let task = tokio::spawn(run(pool, drain));
        Writer {
            queue,
            task: Mutex::new(Some(task)),
        }
    }

    pub(super) fn submit(
        &self,
        retry_key: Option<&str>,
        writes: Vec<Write>,
    ) -> Result<WriteTicket, StoreError> {
        self.queue.submit(retry_key, writes)
    }

    pub(super) fn barrier(&self) -> WriteBarrier {
        self.queue.barrier()
    }

    /// Commits what is queued, then ends the task.
    pub(super) async fn stop(&self) {
        self.queue.stop_async().await;
        let task = self.task.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(task) = task {
            if let Err(e) = task.await {
                tracing::error!(error = %e, "the state writer task failed");
            }
        }
    }
}

async fn run(pool: PgPool, drain: Drain) {
    let mut forgotten = Instant::now();
    loop {
        if forgotten.elapsed() >= SWEEP_EVERY {
            forgotten = Instant::now();
            housekeeping(&pool, FORGET).await;
        }
        let first = match tokio::time::timeout(SWEEP_EVERY, drain.rx.recv_async()).await {
            Ok(Ok(Msg::Job(j))) => j,
            // Stopped, or the store was dropped: everything before was committed.
            Ok(Ok(Msg::Stop) | Err(_)) => break,
            Err(_idle) => {
                housekeeping(&pool, SWEEP).await;
                continue;
            }
        };
        let (jobs, stop) = drain.gather(first);
        let results = match commit(&pool, &jobs).await {
            Ok(results) => results,
            Err(e) => {
                tracing::error!(error = %e, batches = jobs.len(), "state commit failed");
                jobs.iter().map(|_| Err(e.clone())).collect()
            }
        };
        drain.finish(jobs, results);
        if stop {
            break;
        }
    }
}

/// Times a group commit is tried when PostgreSQL aborts it for a deadlock or a serialization
/// failure: replicas writing the same keys in different orders can deadlock, and PostgreSQL
/// then aborts one of the transactions, which wrote nothing and can simply run again.
const COMMIT_ATTEMPTS: usize = 4;

/// One transaction for all `jobs`; nothing is committed if the database fails. Run again
/// (up to [`COMMIT_ATTEMPTS`] times) when PostgreSQL aborted it for contention.
async fn commit(pool: &PgPool, jobs: &[Job]) -> Result<Vec<BatchResult>, StoreError> {
    let mut attempt = 1;
    loop {
        match commit_once(pool, jobs).await {
            Err(e) if attempt < COMMIT_ATTEMPTS && super::is_contention(&e) => {
                tracing::debug!(error = %e, attempt, "state commit aborted for contention; again");
                attempt += 1;
            }
            result => return result,
        }
    }
}

/// [`commit`], once.
async fn commit_once(pool: &PgPool, jobs: &[Job]) -> Result<Vec<BatchResult>, StoreError> {
    let mut conn = pool
        .get()
        .await
        .map_err(|e| StoreError::Unavailable(e.to_string()))?;
    let tx = conn.transaction().await.map_err(pg)?;
    // Plan each statement for its arguments. A cached generic plan made while `requests` was
    // empty kept scanning the whole table for the retry-key lookup as it grew (44 ms a batch
    // at 20,000 remembered requests, measured with pg_stat_statements).
    tx.batch_execute("SET LOCAL plan_cache_mode = force_custom_plan")
        .await
        .map_err(pg)?;
    let stamp = now_text();
    let now = Now {
        ms: now_ms(),
        stamp: &stamp,
    };
    let results = commit_jobs(&tx, jobs, now).await?;
    tx.commit().await.map_err(pg)?;
    Ok(results)
}

const SWEEP: &str = "DELETE FROM states WHERE expires_at IS NOT NULL AND expires_at <= $1";
const FORGET: &str = "DELETE FROM requests WHERE at_ms < $1";

/// Runs `SWEEP` (now) or `FORGET` (now minus the remembering window); logs, never fails.
async fn housekeeping(pool: &PgPool, sql: &'static str) {
    let window = i64::try_from(REMEMBER_REQUESTS.as_millis()).unwrap_or(i64::MAX);
    let before = match sql {
        FORGET => now_ms().saturating_sub(window),
        _ => now_ms(),
    };
    let result = match pool.get().await {
        Ok(conn) => conn.execute(sql, &[&before]).await.map_err(pg),
        Err(e) => Err(StoreError::Unavailable(e.to_string())),
    };
    match result {
        Ok(0) => {}
        Ok(n) => tracing::debug!(rows = n, sql, "state housekeeping"),
        Err(e) => tracing::warn!(error = %e, sql, "state housekeeping failed"),
    }
}
