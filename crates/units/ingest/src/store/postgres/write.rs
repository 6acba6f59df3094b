//! The writes on PostgreSQL, each inside the caller's transaction (or alone).

use deadpool_postgres::GenericClient;
use modt::protocol::ingest::ConnectionStatus;

use super::{pg, read};
use crate::model::ms_of;
use crate::store::fold::{fold, SensorRow};
use crate::store::limit::{LeftOut, Room};
use crate::store::text::enum_text;
use crate::store::{
    history_slot, Applied, Batch, StoreError, StoredConnection, MAX_LOG_PER_CONNECTION,
    MAX_PARSE_LOG,
};

fn int(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn subscriptions(c: &StoredConnection) -> Result<String, StoreError> {
    serde_json::to_string(&c.connection.subscriptions)
        .map_err(|e| StoreError::Storage(e.to_string()))
}

pub(super) async fn insert_connection(
    tx: &impl GenericClient,
    s: &StoredConnection,
) -> Result<(), StoreError> {
    let c = &s.connection;
    tx.execute(
        "INSERT INTO connections (id, name, host, port, tls, username, password, client_id,
             subscriptions, is_active, version, created_ms, updated_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        &[
            &c.id,
            &c.name,
            &c.host,
            &i32::from(c.port),
            &c.tls,
            &c.username,
            &s.sealed_password,
            &c.client_id,
            &subscriptions(s)?,
            &c.is_active,
            &int(c.version),
            &ms_of(&c.created_at),
            &ms_of(&c.updated_at),
        ],
    )
    .await
    .map(drop)
    .map_err(pg)
}

pub(super) async fn replace_connection(
    tx: &impl GenericClient,
    s: &StoredConnection,
    expected: u64,
) -> Result<(), StoreError> {
    let c = &s.connection;
    let current = read::connection(tx, &c.id, true)
        .await?
        .ok_or(StoreError::NotFound)?;
    if current.connection.version != expected {
        return Err(StoreError::PreconditionFailed {
            current: current.connection.version,
        });
    }
    tx.execute(
        "UPDATE connections SET name = $2, host = $3, port = $4, tls = $5, username = $6,
             password = $7, client_id = $8, subscriptions = $9, is_active = $10, version = $11,
             updated_ms = $12
         WHERE id = $1",
        &[
            &c.id,
            &c.name,
            &c.host,
            &i32::from(c.port),
            &c.tls,
            &c.username,
            &s.sealed_password,
            &c.client_id,
            &subscriptions(s)?,
            &c.is_active,
            &int(c.version),
            &ms_of(&c.updated_at),
        ],
    )
    .await
    .map(drop)
    .map_err(pg)
}

pub(super) async fn delete_connection(
    tx: &impl GenericClient,
    id: &str,
    if_match: Option<&[u64]>,
) -> Result<StoredConnection, StoreError> {
    let current = read::connection(tx, id, true)
        .await?
        .ok_or(StoreError::NotFound)?;
    if let Some(versions) = if_match {
        if !versions.contains(&current.connection.version) {
            return Err(StoreError::PreconditionFailed {
                current: current.connection.version,
            });
        }
    }
    tx.execute("DELETE FROM connections WHERE id = $1", &[&id])
        .await
        .map_err(pg)?;
    tx.execute(
        "DELETE FROM connection_log WHERE connection_id = $1",
        &[&id],
    )
    .await
    .map_err(pg)?;
    Ok(current)
}

pub(super) async fn log(tx: &impl GenericClient, s: &ConnectionStatus) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO connection_log (connection_id, state, reason, attempt, since, next_attempt_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            &s.connection_id,
            &enum_text(&s.state),
            &s.reason,
            &i64::from(s.attempt),
            &s.since.0,
            &s.next_attempt_at.as_ref().map(|t| t.0.clone()),
        ],
    )
    .await
    .map_err(pg)?;
    let keep = i64::try_from(MAX_LOG_PER_CONNECTION).unwrap_or(i64::MAX);
    tx.execute(
        "DELETE FROM connection_log WHERE connection_id = $1 AND seq <= (
             SELECT seq FROM connection_log WHERE connection_id = $1
             ORDER BY seq DESC LIMIT 1 OFFSET $2)",
        &[&s.connection_id, &keep],
    )
    .await
    .map(drop)
    .map_err(pg)
}

/// One batch: topic counters, device changes folded per row (latest values and history
/// ring), failures; new topics and devices only under `b.limits`.
pub(super) async fn batch(tx: &impl GenericClient, b: &Batch) -> Result<Applied, StoreError> {
    let mut applied = Applied::default();
    topics(tx, b, &mut applied).await?;
    devices(tx, b, &mut applied).await?;
    failures(tx, b).await?;
    Ok(applied)
}

async fn count(tx: &impl GenericClient, sql: &str) -> Result<i64, StoreError> {
    tx.query_one(sql, &[])
        .await
        .map_err(pg)?
        .try_get(0)
        .map_err(pg)
}

async fn topics(
    tx: &impl GenericClient,
    b: &Batch,
    applied: &mut Applied,
) -> Result<(), StoreError> {
    let update = tx
        .prepare_cached(
            "UPDATE topics SET last_ms = GREATEST(last_ms, $3), count = count + $4,
                 parsed = parsed + $5, failed = failed + $6, sample = $7, parser = $8
             WHERE connection_id = $1 AND topic = $2",
        )
        .await
        .map_err(pg)?;
    let mut new = Vec::new();
    for t in &b.topics {
        let changed = tx
            .execute(
                &update,
                &[
                    &t.connection_id,
                    &t.topic,
                    &t.last_ms,
                    &int(t.count),
                    &int(t.parsed),
                    &int(t.failed),
                    &t.sample,
                    &t.parser,
                ],
            )
            .await
            .map_err(pg)?;
        if changed == 0 {
            new.push(t);
        }
    }
    if new.is_empty() {
        return Ok(());
    }
    let mut room = Room::new(b.limits.topics);
    room.counted(count(tx, "SELECT count(*) FROM topics").await?);
    let insert = tx
        .prepare_cached(
            "INSERT INTO topics (connection_id, topic, first_ms, last_ms, count, parsed, failed, sample, parser)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .await
        .map_err(pg)?;
    for t in new {
        if !room.take() {
            applied.topics_refused += 1;
            applied.messages_unrecorded += t.count;
            continue;
        }
        tx.execute(
            &insert,
            &[
                &t.connection_id,
                &t.topic,
                &t.first_ms,
                &t.last_ms,
                &int(t.count),
                &int(t.parsed),
                &int(t.failed),
                &t.sample,
                &t.parser,
            ],
        )
        .await
        .map_err(pg)?;
        applied.topics_added += 1;
    }
    Ok(())
}

/// Room for one new device, counting the device tables the first time.
async fn device_room(tx: &impl GenericClient, room: &mut Room) -> Result<bool, StoreError> {
    if room.uncounted() {
        room.counted(
            count(
                tx,
                "SELECT (SELECT count(*) FROM gateways) + (SELECT count(*) FROM dataloggers)
                     + (SELECT count(*) FROM sensors)",
            )
            .await?,
        );
    }
    Ok(room.take())
}

/// Runs `sql` with `params`: rows changed.
async fn run(
    tx: &impl GenericClient,
    sql: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> Result<u64, StoreError> {
    let statement = tx.prepare_cached(sql).await.map_err(pg)?;
    tx.execute(&statement, params).await.map_err(pg)
}

async fn devices(
    tx: &impl GenericClient,
    b: &Batch,
    applied: &mut Applied,
) -> Result<(), StoreError> {
    let rows = fold(&b.updates);
    let mut room = Room::new(b.limits.devices);
    let mut left = LeftOut::default();
    for g in &rows.gateways {
        let (online, rssi) = g.status.map_or((None, None), |(o, r)| (Some(o), r));
        let changed = match g.status {
            Some(_) => {
                run(
                    tx,
                    "UPDATE gateways SET online = $3, rssi = $4, last_ms = GREATEST(last_ms, $5)
                     WHERE site = $1 AND gateway = $2",
                    &[&g.site, &g.gateway, &online, &rssi, &g.last_ms],
                )
                .await?
            }
            None => {
                run(
                    tx,
                    "UPDATE gateways SET last_ms = GREATEST(last_ms, $3) WHERE site = $1 AND gateway = $2",
                    &[&g.site, &g.gateway, &g.last_ms],
                )
                .await?
            }
        };
        if changed > 0 {
            continue;
        }
        if !device_room(tx, &mut room).await? {
            left.gateway(g, applied);
            continue;
        }
        run(
            tx,
            "INSERT INTO gateways (site, gateway, online, rssi, last_ms) VALUES ($1, $2, $3, $4, $5)",
            &[&g.site, &g.gateway, &online, &rssi, &g.last_ms],
        )
        .await?;
        applied.devices_added += 1;
    }
    for d in &rows.dataloggers {
        if left.parent_of_datalogger(d) {
            left.datalogger(d, applied);
            continue;
        }
        let params: [&(dyn tokio_postgres::types::ToSql + Sync); 6] = [
            &d.site,
            &d.gateway,
            &d.datalogger,
            &d.model,
            &d.firmware,
            &d.last_ms,
        ];
        let changed = run(
            tx,
            "UPDATE dataloggers SET model = coalesce($4, model), firmware = coalesce($5, firmware),
                 last_ms = GREATEST(last_ms, $6)
             WHERE site = $1 AND gateway = $2 AND datalogger = $3",
            &params,
        )
        .await?;
        if changed > 0 {
            continue;
        }
        if !device_room(tx, &mut room).await? {
            left.datalogger(d, applied);
            continue;
        }
        run(
            tx,
            "INSERT INTO dataloggers (site, gateway, datalogger, model, firmware, last_ms)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &params,
        )
        .await?;
        applied.devices_added += 1;
    }
    for s in &rows.sensors {
        if left.parent_of_sensor(s) {
            left.sensor(s, applied);
            continue;
        }
        let Some(points) = sensor(tx, s, &mut room, applied).await? else {
            left.sensor(s, applied);
            continue;
        };
        history(tx, s, points).await?;
    }
    Ok(())
}

/// Updates (or adds, when there is room) one sensor's latest value; its point count after.
async fn sensor(
    tx: &impl GenericClient,
    s: &SensorRow<'_>,
    room: &mut Room,
    applied: &mut Applied,
) -> Result<Option<i64>, StoreError> {
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 9] = [
        &s.site,
        &s.gateway,
        &s.datalogger,
        &s.sensor,
        &s.kind,
        &s.unit,
        &s.value,
        &s.at_ms,
        &s.count,
    ];
    let update = tx
        .prepare_cached(
            "UPDATE sensors SET kind = $5, unit = $6, value = $7, at_ms = $8, points = points + $9
             WHERE site = $1 AND gateway = $2 AND datalogger = $3 AND sensor = $4
             RETURNING points",
        )
        .await
        .map_err(pg)?;
    if let Some(row) = tx.query_opt(&update, &params).await.map_err(pg)? {
        return row.try_get(0).map(Some).map_err(pg);
    }
    if !device_room(tx, room).await? {
        return Ok(None);
    }
    run(
        tx,
        "INSERT INTO sensors (site, gateway, datalogger, sensor, kind, unit, value, at_ms, points)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        &params,
    )
    .await?;
    applied.devices_added += 1;
    Ok(Some(s.count))
}

/// Writes a sensor's points of the batch into its history ring.
async fn history(
    tx: &impl GenericClient,
    s: &SensorRow<'_>,
    points_after: i64,
) -> Result<(), StoreError> {
    let point = tx
        .prepare_cached(
            "INSERT INTO history (site, gateway, datalogger, sensor, slot, n, at_ms, value)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (site, gateway, datalogger, sensor, slot) DO UPDATE SET
                 n = excluded.n, at_ms = excluded.at_ms, value = excluded.value",
        )
        .await
        .map_err(pg)?;
    for (n, at_ms, value) in s.numbered(points_after) {
        tx.execute(
            &point,
            &[
                &s.site,
                &s.gateway,
                &s.datalogger,
                &s.sensor,
                &history_slot(n),
                &n,
                &at_ms,
                &value,
            ],
        )
        .await
        .map_err(pg)?;
    }
    Ok(())
}

async fn failures(tx: &impl GenericClient, b: &Batch) -> Result<(), StoreError> {
    if b.failures.is_empty() {
        return Ok(());
    }
    let insert = tx
        .prepare_cached(
            "INSERT INTO parse_log (at, connection_id, topic, parser, kind, pointer, reason, excerpt)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .await
        .map_err(pg)?;
    for f in &b.failures {
        tx.execute(
            &insert,
            &[
                &f.at.0,
                &f.connection_id,
                &f.topic,
                &f.parser,
                &enum_text(&f.kind),
                &f.pointer,
                &f.reason,
                &f.excerpt,
            ],
        )
        .await
        .map_err(pg)?;
    }
    let keep = i64::try_from(MAX_PARSE_LOG).unwrap_or(i64::MAX);
    tx.execute(
        "DELETE FROM parse_log WHERE seq <= (SELECT max(seq) FROM parse_log) - $1",
        &[&keep],
    )
    .await
    .map(drop)
    .map_err(pg)
}
