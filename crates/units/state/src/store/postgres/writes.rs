//! The statements of the PostgreSQL writer and how a list of unconditional writes becomes
//! as few of them as possible: runs of sets on distinct keys go in one multi-row upsert
//! ([`SET_MANY`]); deletes and clears are one statement each.

use std::collections::{HashMap, HashSet};

use deadpool_postgres::Transaction;
use futures::future::try_join_all;
use tokio_postgres::Statement;

use super::apply::Now;
use super::pg;
use crate::store::{StoreError, Write, WriteOutcome};

/// One set, returning the key's new version.
const SET: &str = "INSERT INTO states (user_id, key, value, updated_at, version, expires_at)
    VALUES ($1, $2, $3, $4, 1, $5)
    ON CONFLICT (user_id, key) DO UPDATE SET
        value = EXCLUDED.value, updated_at = EXCLUDED.updated_at,
        version = states.version + 1, expires_at = EXCLUDED.expires_at
    RETURNING version";
/// Deletes the key and returns its version if it was live.
const DELETE: &str = "WITH gone AS (
        DELETE FROM states WHERE user_id = $1 AND key = $2 RETURNING version, expires_at)
    SELECT version FROM gone WHERE expires_at IS NULL OR expires_at > $3";
/// Deletes all of a user's keys and counts the live ones.
const CLEAR: &str = "WITH gone AS (DELETE FROM states WHERE user_id = $1 RETURNING expires_at)
    SELECT count(*) FROM gone WHERE expires_at IS NULL OR expires_at > $2";
const LIVE_VERSION: &str = "SELECT version FROM states
    WHERE user_id = $1 AND key = $2 AND (expires_at IS NULL OR expires_at > $3)";
/// Many sets on distinct keys (an upsert cannot touch one row twice), returning each key's
/// new version. Rows are written in key order, so replicas' upserts of the same keys lock
/// them in one order instead of deadlocking.
const SET_MANY: &str = "INSERT INTO states (user_id, key, value, updated_at, version, expires_at)
    SELECT u, k, v, $4, 1, e FROM unnest($1::text[], $2::text[], $3::text[], $5::bigint[]) AS r(u, k, v, e)
    ORDER BY u, k
    ON CONFLICT (user_id, key) DO UPDATE SET
        value = EXCLUDED.value, updated_at = EXCLUDED.updated_at,
        version = states.version + 1, expires_at = EXCLUDED.expires_at
    RETURNING user_id, key, version";

/// The writer's prepared statements (cached per connection).
pub(super) struct Statements {
    set_many: Statement,
    set: Statement,
    delete: Statement,
    clear: Statement,
    live_version: Statement,
}

impl Statements {
    pub(super) async fn prepare(tx: &Transaction<'_>) -> Result<Statements, StoreError> {
        Ok(Statements {
            set_many: tx.prepare_cached(SET_MANY).await.map_err(pg)?,
            set: tx.prepare_cached(SET).await.map_err(pg)?,
            delete: tx.prepare_cached(DELETE).await.map_err(pg)?,
            clear: tx.prepare_cached(CLEAR).await.map_err(pg)?,
            live_version: tx.prepare_cached(LIVE_VERSION).await.map_err(pg)?,
        })
    }
}

/// A write's statement parameters, owned where they are computed.
pub(super) enum Params<'a> {
    Set {
        user_id: &'a str,
        key: &'a str,
        text: String,
        expires: Option<i64>,
    },
    Delete {
        user_id: &'a str,
        key: &'a str,
    },
    Clear {
        user_id: &'a str,
    },
}

impl<'a> Params<'a> {
    pub(super) fn of(w: &'a Write, now: Now<'_>) -> Result<Params<'a>, StoreError> {
        Ok(match w {
            Write::Set {
                user_id,
                key,
                value,
                ttl,
                ..
            } => Params::Set {
                user_id,
                key,
                text: serde_json::to_string(value)
                    .map_err(|e| StoreError::Storage(e.to_string()))?,
                expires: ttl.map(|t| {
                    now.ms
                        .saturating_add(i64::try_from(t.as_millis()).unwrap_or(i64::MAX))
                }),
            },
            Write::Delete { user_id, key, .. } => Params::Delete { user_id, key },
            Write::Clear { user_id } => Params::Clear { user_id },
        })
    }
}

/// Runs one write's statement and returns what it did.
pub(super) async fn exec(
    tx: &Transaction<'_>,
    st: &Statements,
    p: &Params<'_>,
    now: Now<'_>,
) -> Result<WriteOutcome, StoreError> {
    match p {
        Params::Set {
            user_id,
            key,
            text,
            expires,
        } => {
            let row = tx
                .query_one(&st.set, &[user_id, key, text, &now.stamp, expires])
                .await
                .map_err(pg)?;
            let version: i64 = row.try_get(0).map_err(pg)?;
            Ok(WriteOutcome::Set {
                version: version.max(0) as u64,
            })
        }
        Params::Delete { user_id, key } => {
            let row = tx
                .query_opt(&st.delete, &[user_id, key, &now.ms])
                .await
                .map_err(pg)?;
            let version = match row {
                Some(row) => Some(row.try_get::<_, i64>(0).map_err(pg)?.max(0) as u64),
                None => None,
            };
            Ok(WriteOutcome::Deleted { version })
        }
        Params::Clear { user_id } => {
            let row = tx
                .query_one(&st.clear, &[user_id, &now.ms])
                .await
                .map_err(pg)?;
            let count: i64 = row.try_get(0).map_err(pg)?;
            Ok(WriteOutcome::Removed {
                count: count.max(0) as u64,
            })
        }
    }
}

/// The live version of a key (0: none), for a version check.
pub(super) async fn live_version(
    tx: &Transaction<'_>,
    st: &Statements,
    user_id: &str,
    key: &str,
    now: Now<'_>,
) -> Result<u64, StoreError> {
    let row = tx
        .query_opt(&st.live_version, &[&user_id, &key, &now.ms])
        .await
        .map_err(pg)?;
    Ok(match row {
        Some(row) => row.try_get::<_, i64>(0).map_err(pg)?.max(0) as u64,
        None => 0,
    })
}

/// Statements to send: a run of sets on distinct keys, or one other write.
enum Op {
    Sets(Vec<usize>),
    One(usize),
}

/// Groups `params` (in order) into [`Op`]s: a set joins the current run unless its key is
/// already in it.
fn plan(params: &[Params<'_>]) -> Vec<Op> {
    let mut ops = Vec::new();
    let mut run: Vec<usize> = Vec::new();
    let mut keys: HashSet<(&str, &str)> = HashSet::new();
    for (i, p) in params.iter().enumerate() {
        match p {
            Params::Set { user_id, key, .. } if keys.insert((user_id, key)) => run.push(i),
            Params::Set { user_id, key, .. } => {
                ops.push(Op::Sets(std::mem::take(&mut run)));
                keys.clear();
                keys.insert((user_id, key));
                run.push(i);
            }
            _ => {
                if !run.is_empty() {
                    ops.push(Op::Sets(std::mem::take(&mut run)));
                    keys.clear();
                }
                ops.push(Op::One(i));
            }
        }
    }
    if !run.is_empty() {
        ops.push(Op::Sets(run));
    }
    ops
}

/// Applies unconditional writes in order, sending every statement before reading any
/// answer (tokio-postgres pipelines requests in the order they are first polled); returns
/// one outcome per write.
pub(super) async fn apply_unconditional(
    tx: &Transaction<'_>,
    st: &Statements,
    params: &[Params<'_>],
    now: Now<'_>,
) -> Result<Vec<WriteOutcome>, StoreError> {
    let ops = plan(params);
    let sent = ops.iter().map(|op| async move {
        match op {
            Op::One(i) => Ok(vec![exec(tx, st, &params[*i], now).await?]),
            Op::Sets(run) => set_many(tx, st, params, run, now).await,
        }
    });
    Ok(try_join_all(sent).await?.into_iter().flatten().collect())
}

/// One multi-row upsert for the sets `run` (distinct keys); outcomes in `run`'s order.
async fn set_many(
    tx: &Transaction<'_>,
    st: &Statements,
    params: &[Params<'_>],
    run: &[usize],
    now: Now<'_>,
) -> Result<Vec<WriteOutcome>, StoreError> {
    let n = run.len();
    let (mut users, mut keys, mut values, mut expires) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for &i in run {
        if let Params::Set {
            user_id,
            key,
            text,
            expires: e,
        } = &params[i]
        {
            users.push(*user_id);
            keys.push(*key);
            values.push(text.as_str());
            expires.push(*e);
        }
    }
    let rows = tx
        .query(
            &st.set_many,
            &[&users, &keys, &values, &now.stamp, &expires],
        )
        .await
        .map_err(pg)?;
    let mut versions: HashMap<(String, String), i64> = HashMap::with_capacity(rows.len());
    for row in rows {
        let user: String = row.try_get(0).map_err(pg)?;
        let key: String = row.try_get(1).map_err(pg)?;
        versions.insert((user, key), row.try_get(2).map_err(pg)?);
    }
    users
        .iter()
        .zip(&keys)
        .map(|(u, k)| {
            let version = versions
                .get(&((*u).to_owned(), (*k).to_owned()))
                .ok_or_else(|| {
                    StoreError::Storage(format!("the upsert of {k:?} returned no version"))
                })?;
            Ok(WriteOutcome::Set {
                version: (*version).max(0) as u64,
            })
        })
        .collect()
}
