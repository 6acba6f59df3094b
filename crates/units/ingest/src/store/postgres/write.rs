//! The writes on PostgreSQL, each inside the caller's transaction (or alone).

use deadpool_postgres::GenericClient;
use modt::protocol::ingest::ConnectionStatus;

use super::{pg, read};
use crate::model::{ms_of, DeviceUpdate};
use crate::store::text::enum_text;
use crate::store::{Batch, StoreError, StoredConnection, MAX_LOG_PER_CONNECTION, MAX_PARSE_LOG};
use modt::protocol::ingest::MAX_HISTORY_POINTS;

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

/// One batch: topic counters, device changes (latest values and history ring), failures.
pub(super) async fn batch(tx: &impl GenericClient, b: &Batch) -> Result<(), StoreError> {
    let topic = tx
        .prepare_cached(
            "INSERT INTO topics (connection_id, topic, first_ms, last_ms, count, parsed, failed, sample, parser)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (connection_id, topic) DO UPDATE SET
                 last_ms = GREATEST(topics.last_ms, excluded.last_ms), count = topics.count + excluded.count,
                 parsed = topics.parsed + excluded.parsed, failed = topics.failed + excluded.failed,
                 sample = excluded.sample, parser = excluded.parser",
        )
        .await
        .map_err(pg)?;
    for t in &b.topics {
        tx.execute(
            &topic,
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
    }
    for u in &b.updates {
        device(tx, u).await?;
    }
    failures(tx, b).await
}

async fn device(tx: &impl GenericClient, u: &DeviceUpdate) -> Result<(), StoreError> {
    match u {
        DeviceUpdate::GatewayStatus {
            site,
            gateway,
            online,
            rssi,
            at_ms,
        } => {
            let s = tx
                .prepare_cached(
                    "INSERT INTO gateways (site, gateway, online, rssi, last_ms) VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (site, gateway) DO UPDATE SET online = excluded.online,
                         rssi = excluded.rssi, last_ms = GREATEST(gateways.last_ms, excluded.last_ms)",
                )
                .await
                .map_err(pg)?;
            tx.execute(&s, &[site, gateway, online, rssi, at_ms])
                .await
                .map_err(pg)?;
        }
        DeviceUpdate::Readings {
            site,
            gateway,
            datalogger,
            model,
            firmware,
            at_ms,
            readings,
        } => {
            let g = tx
                .prepare_cached(
                    "INSERT INTO gateways (site, gateway, online, rssi, last_ms) VALUES ($1, $2, NULL, NULL, $3)
                     ON CONFLICT (site, gateway) DO UPDATE SET
                         last_ms = GREATEST(gateways.last_ms, excluded.last_ms)",
                )
                .await
                .map_err(pg)?;
            tx.execute(&g, &[site, gateway, at_ms]).await.map_err(pg)?;
            let d = tx
                .prepare_cached(
                    "INSERT INTO dataloggers (site, gateway, datalogger, model, firmware, last_ms)
                     VALUES ($1, $2, $3, $4, $5, $6)
                     ON CONFLICT (site, gateway, datalogger) DO UPDATE SET
                         model = coalesce(excluded.model, dataloggers.model),
                         firmware = coalesce(excluded.firmware, dataloggers.firmware),
                         last_ms = GREATEST(dataloggers.last_ms, excluded.last_ms)",
                )
                .await
                .map_err(pg)?;
            tx.execute(&d, &[site, gateway, datalogger, model, firmware, at_ms])
                .await
                .map_err(pg)?;
            // One statement per reading: the sensor's latest value, then its history slot.
            let r = tx
                .prepare_cached(
                    "WITH s AS (
                         INSERT INTO sensors (site, gateway, datalogger, sensor, kind, unit, value, at_ms, points)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1)
                         ON CONFLICT (site, gateway, datalogger, sensor) DO UPDATE SET
                             kind = excluded.kind, unit = excluded.unit, value = excluded.value,
                             at_ms = excluded.at_ms, points = sensors.points + 1
                         RETURNING points)
                     INSERT INTO history (site, gateway, datalogger, sensor, slot, n, at_ms, value)
                     SELECT $1, $2, $3, $4, mod(s.points, $9), s.points, $8, $7 FROM s
                     ON CONFLICT (site, gateway, datalogger, sensor, slot) DO UPDATE SET
                         n = excluded.n, at_ms = excluded.at_ms, value = excluded.value",
                )
                .await
                .map_err(pg)?;
            let ring = i64::try_from(MAX_HISTORY_POINTS).unwrap_or(i64::MAX);
            for reading in readings {
                tx.execute(
                    &r,
                    &[
                        site,
                        gateway,
                        datalogger,
                        &reading.sensor,
                        &reading.kind,
                        &reading.unit,
                        &reading.value,
                        at_ms,
                        &ring,
                    ],
                )
                .await
                .map_err(pg)?;
            }
        }
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
