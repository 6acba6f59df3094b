//! One group commit on PostgreSQL: applying a gathered list of batches in one transaction
//! with as few round trips as the semantics allow (the statements are in `writes`).
//!
//! 1. The retry keys of all batches are claimed in one statement (a placeholder row each,
//!    `ON CONFLICT DO NOTHING`), then the answers to the keys not claimed are read. Replicas
//!    of the unit share the table: when two of them get the same request at once, the second
//!    one's claim waits for the first's transaction and, once it commits, finds the key taken
//!    and reads its answer, so it replays the winner's answer instead of applying the batch
//!    again (a plain lookup would have seen nothing in both and applied twice).
//! 2. Batches without `if_version` cannot be refused, so their writes are sent back to back
//!    without waiting for answers (tokio-postgres pipelines requests sent on one connection in
//!    the order they are first polled), runs of sets on distinct keys as one multi-row upsert.
//! 3. A batch with `if_version` waits for what was sent before it, then checks and writes one
//!    statement at a time, in a savepoint when it has several writes, so a conflict undoes
//!    only its own writes (as on SQLite).
//! 4. The answers to remember go in one statement; then one commit (one WAL flush).

use std::collections::HashMap;

use deadpool_postgres::Transaction;

use crate::store::queue::Job;
use crate::store::remembered::{self, RequestId};
use crate::store::{BatchResult, Committed, StoreError, Write, WriteOutcome};

use super::pg;
use super::writes::{apply_unconditional, exec, live_version, Params, Statements};

/// Takes the keys not taken yet (sorted, so concurrent claims lock rows in one order), with an
/// empty answer that `REMEMBER` fills in before the commit; returns the keys taken now.
const CLAIM: &str = "INSERT INTO requests (id, answer, at_ms)
    SELECT id, '', $2 FROM unnest($1::bytea[]) AS r(id) ORDER BY id
    ON CONFLICT (id) DO NOTHING RETURNING id";
const RECALL: &str = "SELECT id, answer FROM requests WHERE id = ANY($1)";
const REMEMBER: &str = "INSERT INTO requests (id, answer, at_ms)
    SELECT id, answer, $3 FROM unnest($1::bytea[], $2::text[]) AS r(id, answer)
    ON CONFLICT (id) DO UPDATE SET answer = EXCLUDED.answer, at_ms = EXCLUDED.at_ms";

/// The clock of one group commit: every write in it has the same time.
#[derive(Clone, Copy)]
pub(super) struct Now<'a> {
    pub(super) ms: i64,
    pub(super) stamp: &'a str,
}

/// Applies `jobs` in one transaction on `tx` and returns one result per job. An error is a
/// database failure: the caller rolls back and fails every job.
pub(super) async fn commit_jobs(
    tx: &Transaction<'_>,
    jobs: &[Job],
    now: Now<'_>,
) -> Result<Vec<BatchResult>, StoreError> {
    let st = Statements::prepare(tx).await?;
    let mut results: Vec<Option<BatchResult>> = vec![None; jobs.len()];
    let recalled = claim_or_recall(tx, jobs, now).await?;
    let mut first_of: HashMap<RequestId, usize> = HashMap::new();
    let mut duplicates = Vec::new();
    let mut segment = Vec::new();
    for (i, job) in jobs.iter().enumerate() {
        if let Some(id) = &job.request {
            if let Some(answer) = recalled.get(id) {
                results[i] = Some(answer.clone());
                continue;
            }
            if let Some(&first) = first_of.get(id) {
                duplicates.push((i, first));
                continue;
            }
            first_of.insert(*id, i);
        }
        if job.writes.iter().all(|w| if_version(w).is_none()) {
            segment.push(i);
            continue;
        }
        pipeline(tx, &st, jobs, &segment, now, &mut results).await?;
        segment.clear();
        results[i] = Some(committed(checked(tx, &st, &job.writes, now).await?));
    }
    pipeline(tx, &st, jobs, &segment, now, &mut results).await?;
    remember(tx, &first_of, &results, now).await?;
    for (i, first) in duplicates {
        results[i] = results[first].as_ref().map(remembered::replay);
    }
    Ok(results
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err(StoreError::Storage("a batch got no result".into()))))
        .collect())
}

fn committed(outcome: Result<Vec<WriteOutcome>, StoreError>) -> BatchResult {
    outcome.map(|outcomes| Committed {
        outcomes,
        replayed: false,
    })
}

fn if_version(w: &Write) -> Option<u64> {
    match w {
        Write::Set { if_version, .. } | Write::Delete { if_version, .. } => *if_version,
        Write::Clear { .. } => None,
    }
}

/// Claims the retry keys among `jobs` for this transaction and returns the remembered
/// answers to those another transaction (this replica's earlier commit, or another replica's)
/// has committed. A key held by a transaction still running makes the claim wait for it.
async fn claim_or_recall(
    tx: &Transaction<'_>,
    jobs: &[Job],
    now: Now<'_>,
) -> Result<HashMap<RequestId, BatchResult>, StoreError> {
    let mut ids: Vec<&[u8]> = jobs
        .iter()
        .filter_map(|j| j.request.as_ref())
        .map(|id| &id[..])
        .collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    ids.sort_unstable();
    ids.dedup();
    let stmt = tx.prepare_cached(CLAIM).await.map_err(pg)?;
    let rows = tx.query(&stmt, &[&ids, &now.ms]).await.map_err(pg)?;
    let mut claimed = std::collections::HashSet::with_capacity(rows.len());
    for row in &rows {
        let id: &[u8] = row.try_get(0).map_err(pg)?;
        claimed.insert(id.to_vec());
    }
    ids.retain(|id| !claimed.contains(*id));
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let stmt = tx.prepare_cached(RECALL).await.map_err(pg)?;
    let rows = tx.query(&stmt, &[&ids]).await.map_err(pg)?;
    let mut recalled = HashMap::with_capacity(rows.len());
    for row in rows {
        let id: &[u8] = row.try_get(0).map_err(pg)?;
        let answer: &str = row.try_get(1).map_err(pg)?;
        if let Ok(id) = RequestId::try_from(id) {
            recalled.insert(id, remembered::decode(answer)?);
        }
    }
    Ok(recalled)
}

/// Remembers the answers of the jobs applied now that carry a retry key, in one statement.
async fn remember(
    tx: &Transaction<'_>,
    applied: &HashMap<RequestId, usize>,
    results: &[Option<BatchResult>],
    now: Now<'_>,
) -> Result<(), StoreError> {
    let mut ids: Vec<&[u8]> = Vec::with_capacity(applied.len());
    let mut answers = Vec::with_capacity(applied.len());
    for (id, &i) in applied {
        let Some(result) = &results[i] else { continue };
        let outcome = result
            .as_ref()
            .map(|c| c.outcomes.clone())
            .map_err(Clone::clone);
        if let Some(text) = remembered::encode(&outcome)? {
            ids.push(&id[..]);
            answers.push(text);
        }
    }
    if ids.is_empty() {
        return Ok(());
    }
    let stmt = tx.prepare_cached(REMEMBER).await.map_err(pg)?;
    tx.execute(&stmt, &[&ids, &answers, &now.ms])
        .await
        .map_err(pg)?;
    Ok(())
}

/// Applies the unconditional jobs `indices` with their statements sent back to back.
async fn pipeline(
    tx: &Transaction<'_>,
    st: &Statements,
    jobs: &[Job],
    indices: &[usize],
    now: Now<'_>,
    results: &mut [Option<BatchResult>],
) -> Result<(), StoreError> {
    if indices.is_empty() {
        return Ok(());
    }
    let params: Vec<Params<'_>> = indices
        .iter()
        .flat_map(|&i| jobs[i].writes.iter())
        .map(|w| Params::of(w, now))
        .collect::<Result<_, _>>()?;
    let mut outcomes = apply_unconditional(tx, st, &params, now).await?.into_iter();
    for &i in indices {
        let mine: Vec<WriteOutcome> = outcomes.by_ref().take(jobs[i].writes.len()).collect();
        results[i] = Some(committed(Ok(mine)));
    }
    Ok(())
}

/// Applies one job with version checks, all or none. The outer error fails the transaction;
/// the inner one refuses only this job.
async fn checked(
    tx: &Transaction<'_>,
    st: &Statements,
    writes: &[Write],
    now: Now<'_>,
) -> Result<Result<Vec<WriteOutcome>, StoreError>, StoreError> {
    let savepoint = writes.len() > 1;
    if savepoint {
        tx.batch_execute("SAVEPOINT job").await.map_err(pg)?;
    }
    let mut outcomes = Vec::with_capacity(writes.len());
    for w in writes {
        if let Err(conflict) = check(tx, st, w, now).await? {
            if savepoint {
                tx.batch_execute("ROLLBACK TO SAVEPOINT job; RELEASE SAVEPOINT job")
                    .await
                    .map_err(pg)?;
            }
            return Ok(Err(conflict));
        }
        outcomes.push(exec(tx, st, &Params::of(w, now)?, now).await?);
    }
    if savepoint {
        tx.batch_execute("RELEASE SAVEPOINT job")
            .await
            .map_err(pg)?;
    }
    Ok(Ok(outcomes))
}

/// `Err(conflict)` when `w` names a version the key does not have.
async fn check(
    tx: &Transaction<'_>,
    st: &Statements,
    w: &Write,
    now: Now<'_>,
) -> Result<Result<(), StoreError>, StoreError> {
    let (Write::Set { user_id, key, .. } | Write::Delete { user_id, key, .. }) = w else {
        return Ok(Ok(()));
    };
    let Some(expected) = if_version(w) else {
        return Ok(Ok(()));
    };
    let found = live_version(tx, st, user_id, key, now).await?;
    if found != expected {
        return Ok(Err(StoreError::Conflict {
            key: key.clone(),
            expected,
            found,
        }));
    }
    Ok(Ok(()))
}
