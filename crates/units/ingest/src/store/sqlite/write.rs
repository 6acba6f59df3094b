//! The writes, each inside the transaction the writer thread opened.

use modt::protocol::ingest::ConnectionStatus;
use rusqlite::{params, OptionalExtension, Transaction};

use super::{read, storage};
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

/// One batch: topic counters, device changes folded per row (latest values and history
/// ring), failures; new topics and devices only under `b.limits`.
pub(super) fn batch(tx: &Transaction<'_>, b: &Batch) -> Result<Applied, StoreError> {
    let mut applied = Applied::default();
    topics(tx, b, &mut applied)?;
    devices(tx, b, &mut applied)?;
    failures(tx, b)?;
    Ok(applied)
}

fn count(tx: &Transaction<'_>, sql: &str) -> Result<i64, StoreError> {
    tx.query_row(sql, [], |r| r.get(0)).map_err(storage)
}

fn topics(tx: &Transaction<'_>, b: &Batch, applied: &mut Applied) -> Result<(), StoreError> {
    let mut update = tx
        .prepare_cached(
            "UPDATE topics SET last_ms = max(last_ms, ?3), count = count + ?4,
                 parsed = parsed + ?5, failed = failed + ?6, sample = ?7, parser = ?8
             WHERE connection_id = ?1 AND topic = ?2",
        )
        .map_err(storage)?;
    let mut new = Vec::new();
    for t in &b.topics {
        let changed = update
            .execute(params![
                t.connection_id,
                t.topic,
                t.last_ms,
                int(t.count),
                int(t.parsed),
                int(t.failed),
                t.sample,
                t.parser
            ])
            .map_err(storage)?;
        if changed == 0 {
            new.push(t);
        }
    }
    if new.is_empty() {
        return Ok(());
    }
    let mut room = Room::new(b.limits.topics);
    room.counted(count(tx, "SELECT count(*) FROM topics")?);
    let mut insert = tx
        .prepare_cached(
            "INSERT INTO topics (connection_id, topic, first_ms, last_ms, count, parsed, failed, sample, parser)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )
        .map_err(storage)?;
    for t in new {
        if !room.take() {
            applied.topics_refused += 1;
            applied.messages_unrecorded += t.count;
            continue;
        }
        insert
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
        applied.topics_added += 1;
    }
    Ok(())
}

/// Room for one new device, counting the device tables the first time.
fn device_room(tx: &Transaction<'_>, room: &mut Room) -> Result<bool, StoreError> {
    if room.uncounted() {
        room.counted(count(
            tx,
            "SELECT (SELECT count(*) FROM gateways) + (SELECT count(*) FROM dataloggers)
                 + (SELECT count(*) FROM sensors)",
        )?);
    }
    Ok(room.take())
}

fn devices(tx: &Transaction<'_>, b: &Batch, applied: &mut Applied) -> Result<(), StoreError> {
    let rows = fold(&b.updates);
    let mut room = Room::new(b.limits.devices);
    let mut left = LeftOut::default();
    for g in &rows.gateways {
        let changed = match g.status {
            Some((online, rssi)) => tx
                .prepare_cached(
                    "UPDATE gateways SET online = ?3, rssi = ?4, last_ms = max(last_ms, ?5)
                     WHERE site = ?1 AND gateway = ?2",
                )
                .and_then(|mut s| s.execute(params![g.site, g.gateway, online, rssi, g.last_ms])),
            None => tx
                .prepare_cached(
                    "UPDATE gateways SET last_ms = max(last_ms, ?3) WHERE site = ?1 AND gateway = ?2",
                )
                .and_then(|mut s| s.execute(params![g.site, g.gateway, g.last_ms])),
        }
        .map_err(storage)?;
        if changed > 0 {
            continue;
        }
        if !device_room(tx, &mut room)? {
            left.gateway(g, applied);
            continue;
        }
        let (online, rssi) = g.status.map_or((None, None), |(o, r)| (Some(o), r));
        tx.prepare_cached(
            "INSERT INTO gateways (site, gateway, online, rssi, last_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .and_then(|mut s| s.execute(params![g.site, g.gateway, online, rssi, g.last_ms]))
        .map_err(storage)?;
        applied.devices_added += 1;
    }
    for d in &rows.dataloggers {
        if left.parent_of_datalogger(d) {
            left.datalogger(d, applied);
            continue;
        }
        let changed = tx
            .prepare_cached(
                "UPDATE dataloggers SET model = coalesce(?4, model), firmware = coalesce(?5, firmware),
                     last_ms = max(last_ms, ?6)
                 WHERE site = ?1 AND gateway = ?2 AND datalogger = ?3",
            )
            .and_then(|mut s| {
                s.execute(params![d.site, d.gateway, d.datalogger, d.model, d.firmware, d.last_ms])
            })
            .map_err(storage)?;
        if changed > 0 {
            continue;
        }
        if !device_room(tx, &mut room)? {
            left.datalogger(d, applied);
            continue;
        }
        tx.prepare_cached(
            "INSERT INTO dataloggers (site, gateway, datalogger, model, firmware, last_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .and_then(|mut s| {
            s.execute(params![
                d.site,
                d.gateway,
                d.datalogger,
                d.model,
                d.firmware,
                d.last_ms
            ])
        })
        .map_err(storage)?;
        applied.devices_added += 1;
    }
    for s in &rows.sensors {
        if left.parent_of_sensor(s) {
            left.sensor(s, applied);
            continue;
        }
        let Some(points) = sensor(tx, s, &mut room, applied)? else {
            left.sensor(s, applied);
            continue;
        };
        history(tx, s, points)?;
    }
    Ok(())
}

/// Updates (or adds, when there is room) one sensor's latest value; its point count after.
fn sensor(
    tx: &Transaction<'_>,
    s: &SensorRow<'_>,
    room: &mut Room,
    applied: &mut Applied,
) -> Result<Option<i64>, StoreError> {
    let points: Option<i64> = tx
        .prepare_cached(
            "UPDATE sensors SET kind = ?5, unit = ?6, value = ?7, at_ms = ?8, points = points + ?9
             WHERE site = ?1 AND gateway = ?2 AND datalogger = ?3 AND sensor = ?4
             RETURNING points",
        )
        .and_then(|mut st| {
            st.query_row(
                params![
                    s.site,
                    s.gateway,
                    s.datalogger,
                    s.sensor,
                    s.kind,
                    s.unit,
                    s.value,
                    s.at_ms,
                    s.count
                ],
                |r| r.get(0),
            )
            .optional()
        })
        .map_err(storage)?;
    if points.is_some() {
        return Ok(points);
    }
    if !device_room(tx, room)? {
        return Ok(None);
    }
    tx.prepare_cached(
        "INSERT INTO sensors (site, gateway, datalogger, sensor, kind, unit, value, at_ms, points)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )
    .and_then(|mut st| {
        st.execute(params![
            s.site,
            s.gateway,
            s.datalogger,
            s.sensor,
            s.kind,
            s.unit,
            s.value,
            s.at_ms,
            s.count
        ])
    })
    .map_err(storage)?;
    applied.devices_added += 1;
    Ok(Some(s.count))
}

/// Writes a sensor's points of the batch into its history ring.
fn history(tx: &Transaction<'_>, s: &SensorRow<'_>, points_after: i64) -> Result<(), StoreError> {
    let mut point = tx
        .prepare_cached(
            // An upsert overwrites the slot in place; REPLACE would delete and insert it.
            "INSERT INTO history (site, gateway, datalogger, sensor, slot, n, at_ms, value)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (site, gateway, datalogger, sensor, slot) DO UPDATE SET
                 n = excluded.n, at_ms = excluded.at_ms, value = excluded.value",
        )
        .map_err(storage)?;
    for (n, at_ms, value) in s.numbered(points_after) {
        point
            .execute(params![
                s.site,
                s.gateway,
                s.datalogger,
                s.sensor,
                history_slot(n),
                n,
                at_ms,
                value
            ])
            .map_err(storage)?;
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
