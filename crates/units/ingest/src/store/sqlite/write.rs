//! The writes, each inside the transaction the writer thread opened.

use modt::protocol::ingest::ConnectionStatus;
use rusqlite::{params, OptionalExtension, Transaction};

use super::{read, storage};
use crate::model::{ms_of, DeviceUpdate};
use crate::store::text::enum_text;
use crate::store::{
    history_slot, Batch, StoreError, StoredConnection, MAX_LOG_PER_CONNECTION, MAX_PARSE_LOG,
};

fn int(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn subscriptions(c: &StoredConnection) -> Result<String, StoreError> {
    serde_json::to_string(&c.connection.subscriptions)
        .map_err(|e| StoreError::Storage(e.to_string()))
}

pub(super) fn insert_connection(
    tx: &Transaction<'_>,
    s: &StoredConnection,
) -> Result<(), StoreError> {
    let c = &s.connection;
    tx.execute(
        "INSERT INTO connections (id, name, host, port, tls, username, password, client_id,
             subscriptions, is_active, version, created_ms, updated_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        params![
            c.id,
            c.name,
            c.host,
            c.port,
            c.tls,
            c.username,
            s.sealed_password,
            c.client_id,
            subscriptions(s)?,
            c.is_active,
            int(c.version),
            ms_of(&c.created_at),
            ms_of(&c.updated_at),
        ],
    )
    .map(drop)
    .map_err(storage)
}

pub(super) fn replace_connection(
    tx: &Transaction<'_>,
    s: &StoredConnection,
    expected: u64,
) -> Result<(), StoreError> {
    let c = &s.connection;
    let current = read::connection(tx, &c.id)?.ok_or(StoreError::NotFound)?;
    if current.connection.version != expected {
        return Err(StoreError::PreconditionFailed {
            current: current.connection.version,
        });
    }
    tx.execute(
        "UPDATE connections SET name = ?2, host = ?3, port = ?4, tls = ?5, username = ?6,
             password = ?7, client_id = ?8, subscriptions = ?9, is_active = ?10, version = ?11,
             updated_ms = ?12
         WHERE id = ?1",
        params![
            c.id,
            c.name,
            c.host,
            c.port,
            c.tls,
            c.username,
            s.sealed_password,
            c.client_id,
            subscriptions(s)?,
            c.is_active,
            int(c.version),
            ms_of(&c.updated_at),
        ],
    )
    .map(drop)
    .map_err(storage)
}

pub(super) fn delete_connection(
    tx: &Transaction<'_>,
    id: &str,
    if_match: Option<&[u64]>,
) -> Result<StoredConnection, StoreError> {
    let current = read::connection(tx, id)?.ok_or(StoreError::NotFound)?;
    if let Some(versions) = if_match {
        if !versions.contains(&current.connection.version) {
            return Err(StoreError::PreconditionFailed {
                current: current.connection.version,
            });
        }
    }
    tx.execute("DELETE FROM connections WHERE id = ?1", [id])
        .map_err(storage)?;
    tx.execute("DELETE FROM connection_log WHERE connection_id = ?1", [id])
        .map_err(storage)?;
    Ok(current)
}

pub(super) fn log(tx: &Transaction<'_>, s: &ConnectionStatus) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO connection_log (connection_id, state, reason, attempt, since, next_attempt_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            s.connection_id,
            enum_text(&s.state),
            s.reason,
            s.attempt,
            s.since.0,
            s.next_attempt_at.as_ref().map(|t| t.0.clone()),
        ],
    )
    .map_err(storage)?;
    let keep = i64::try_from(MAX_LOG_PER_CONNECTION).unwrap_or(i64::MAX);
    tx.execute(
        "DELETE FROM connection_log WHERE connection_id = ?1 AND seq <= (
             SELECT seq FROM connection_log WHERE connection_id = ?1
             ORDER BY seq DESC LIMIT 1 OFFSET ?2)",
        params![s.connection_id, keep],
    )
    .map(drop)
    .map_err(storage)
}

/// One batch: topic counters, device changes (latest values and history ring), failures.
pub(super) fn batch(tx: &Transaction<'_>, b: &Batch) -> Result<(), StoreError> {
    let mut topic = tx
        .prepare_cached(
            "INSERT INTO topics (connection_id, topic, first_ms, last_ms, count, parsed, failed, sample, parser)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT (connection_id, topic) DO UPDATE SET
                 last_ms = max(last_ms, excluded.last_ms), count = count + excluded.count,
                 parsed = parsed + excluded.parsed, failed = failed + excluded.failed,
                 sample = excluded.sample, parser = excluded.parser",
        )
        .map_err(storage)?;
    for t in &b.topics {
        topic
            .execute(params![
                t.connection_id,
                t.topic,
                t.first_ms,
                t.last_ms,
                int(t.count),
                int(t.parsed),
                int(t.failed),
                t.sample,
                t.parser
            ])
            .map_err(storage)?;
    }
    for u in &b.updates {
        device(tx, u)?;
    }
    failures(tx, b)
}

fn device(tx: &Transaction<'_>, u: &DeviceUpdate) -> Result<(), StoreError> {
    match u {
        DeviceUpdate::GatewayStatus {
            site,
            gateway,
            online,
            rssi,
            at_ms,
        } => {
            tx.prepare_cached(
                "INSERT INTO gateways (site, gateway, online, rssi, last_ms) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (site, gateway) DO UPDATE SET online = excluded.online,
                     rssi = excluded.rssi, last_ms = max(last_ms, excluded.last_ms)",
            )
            .and_then(|mut s| s.execute(params![site, gateway, online, rssi, at_ms]))
            .map_err(storage)?;
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
            tx.prepare_cached(
                "INSERT INTO gateways (site, gateway, online, rssi, last_ms) VALUES (?1, ?2, NULL, NULL, ?3)
                 ON CONFLICT (site, gateway) DO UPDATE SET last_ms = max(last_ms, excluded.last_ms)",
            )
            .and_then(|mut s| s.execute(params![site, gateway, at_ms]))
            .map_err(storage)?;
            tx.prepare_cached(
                "INSERT INTO dataloggers (site, gateway, datalogger, model, firmware, last_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (site, gateway, datalogger) DO UPDATE SET
                     model = coalesce(excluded.model, model),
                     firmware = coalesce(excluded.firmware, firmware),
                     last_ms = max(last_ms, excluded.last_ms)",
            )
            .and_then(|mut s| s.execute(params![site, gateway, datalogger, model, firmware, at_ms]))
            .map_err(storage)?;
            let mut sensor = tx
                .prepare_cached(
                    "INSERT INTO sensors (site, gateway, datalogger, sensor, kind, unit, value, at_ms, points)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 1)
                     ON CONFLICT (site, gateway, datalogger, sensor) DO UPDATE SET
                         kind = excluded.kind, unit = excluded.unit, value = excluded.value,
                         at_ms = excluded.at_ms, points = points + 1
                     RETURNING points",
                )
                .map_err(storage)?;
            let mut point = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO history (site, gateway, datalogger, sensor, slot, n, at_ms, value)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )
                .map_err(storage)?;
            for r in readings {
                let n: i64 = sensor
                    .query_row(
                        params![
                            site, gateway, datalogger, r.sensor, r.kind, r.unit, r.value, at_ms
                        ],
                        |row| row.get(0),
                    )
                    .map_err(storage)?;
                point
                    .execute(params![
                        site,
                        gateway,
                        datalogger,
                        r.sensor,
                        history_slot(n),
                        n,
                        at_ms,
                        r.value
                    ])
                    .map_err(storage)?;
            }
        }
    }
    Ok(())
}

fn failures(tx: &Transaction<'_>, b: &Batch) -> Result<(), StoreError> {
    if b.failures.is_empty() {
        return Ok(());
    }
    let mut insert = tx
        .prepare_cached(
            "INSERT INTO parse_log (at, connection_id, topic, parser, kind, pointer, reason, excerpt)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )
        .map_err(storage)?;
    for f in &b.failures {
        insert
            .execute(params![
                f.at.0,
                f.connection_id,
                f.topic,
                f.parser,
                enum_text(&f.kind),
                f.pointer,
                f.reason,
                f.excerpt
            ])
            .map_err(storage)?;
    }
    let last: Option<i64> = tx
        .query_row("SELECT max(seq) FROM parse_log", [], |r| r.get(0))
        .optional()
        .map_err(storage)?
        .flatten();
    if let Some(last) = last {
        let keep = i64::try_from(MAX_PARSE_LOG).unwrap_or(i64::MAX);
        tx.execute("DELETE FROM parse_log WHERE seq <= ?1", [last - keep])
            .map_err(storage)?;
    }
    Ok(())
}
