//! The queries, and the decoding of rows into the wire's types.

use modt::protocol::ingest::{
    Connection, ConnectionStatus, Datalogger, DeviceTree, DiscoveredTopic, Gateway, ParseFailure,
    Point, Sensor, SensorHistory, SensorKey,
};
use modt::protocol::Timestamp;
use rusqlite::types::Value as SqlValue;
use rusqlite::{params, Connection as Db, OptionalExtension, Row};
use serde::de::DeserializeOwned;

use super::storage;
use crate::model::timestamp;
use crate::store::sql::{
    CONNECTION_COLUMNS, DATALOGGERS_SQL, GATEWAYS_SQL, HISTORY_SQL, LOG_SQL, SENSORS_SQL,
    SENSOR_UNIT_SQL,
};
use crate::store::text::enum_text;
use crate::store::tree::{assemble, Rows};
use crate::store::{ParseLogQuery, StoreError, StoredConnection, TopicQuery};

fn enum_from<T: DeserializeOwned>(text: &str) -> rusqlite::Result<T> {
    serde_json::from_value(serde_json::Value::String(text.to_owned())).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn uint(v: i64) -> u64 {
    u64::try_from(v).unwrap_or_default()
}

fn stored(r: &Row<'_>) -> rusqlite::Result<StoredConnection> {
    let subscriptions: String = r.get(8)?;
    let sealed_password: Option<String> = r.get(6)?;
    Ok(StoredConnection {
        connection: Connection {
            id: r.get(0)?,
            name: r.get(1)?,
            host: r.get(2)?,
            port: r.get(3)?,
            tls: r.get(4)?,
            username: r.get(5)?,
            has_password: sealed_password.is_some(),
            client_id: r.get(7)?,
            subscriptions: serde_json::from_str(&subscriptions).map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(
                    8,
                    rusqlite::types::Type::Text,
                    Box::new(e),
                )
            })?,
            is_active: r.get(9)?,
            version: uint(r.get(10)?),
            created_at: timestamp(r.get(11)?),
            updated_at: timestamp(r.get(12)?),
        },
        sealed_password,
    })
}

pub(super) fn connections(c: &Db) -> Result<Vec<StoredConnection>, StoreError> {
    let sql = format!("SELECT {CONNECTION_COLUMNS} FROM connections ORDER BY name, id");
    let mut s = c.prepare_cached(&sql).map_err(storage)?;
    let rows = s.query_map([], stored).map_err(storage)?;
    rows.collect::<Result<_, _>>().map_err(storage)
}

pub(super) fn connection(c: &Db, id: &str) -> Result<Option<StoredConnection>, StoreError> {
    let sql = format!("SELECT {CONNECTION_COLUMNS} FROM connections WHERE id = ?1");
    c.prepare_cached(&sql)
        .and_then(|mut s| s.query_row([id], stored).optional())
        .map_err(storage)
}

pub(super) fn connection_log(
    c: &Db,
    id: &str,
    limit: usize,
) -> Result<Vec<ConnectionStatus>, StoreError> {
    let mut s = c.prepare_cached(LOG_SQL).map_err(storage)?;
    let rows = s
        .query_map(params![id, i64::try_from(limit).unwrap_or(i64::MAX)], |r| {
            let state: String = r.get(1)?;
            let next: Option<String> = r.get(5)?;
            Ok(ConnectionStatus {
                connection_id: r.get(0)?,
                state: enum_from(&state)?,
                reason: r.get(2)?,
                attempt: r.get(3)?,
                since: Timestamp(r.get(4)?),
                next_attempt_at: next.map(Timestamp),
            })
        })
        .map_err(storage)?;
    rows.collect::<Result<_, _>>().map_err(storage)
}

pub(super) fn flag(c: &Db, key: &str) -> Result<bool, StoreError> {
    c.query_row("SELECT 1 FROM flags WHERE key = ?1", [key], |_| Ok(()))
        .optional()
        .map(|f| f.is_some())
        .map_err(storage)
}

/// `clause` and its value, when the filter is given.
fn filter(
    clauses: &mut Vec<String>,
    values: &mut Vec<SqlValue>,
    clause: &str,
    value: Option<SqlValue>,
) {
    if let Some(v) = value {
        values.push(v);
        clauses.push(clause.replace('?', &format!("?{}", values.len())));
    }
}

fn where_sql(clauses: &[String]) -> String {
    if clauses.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", clauses.join(" AND "))
    }
}

fn like(text: &str) -> SqlValue {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    SqlValue::Text(format!("%{escaped}%"))
}

pub(super) fn topics(c: &Db, q: &TopicQuery) -> Result<Vec<DiscoveredTopic>, StoreError> {
    let (mut clauses, mut values) = (Vec::new(), Vec::new());
    filter(
        &mut clauses,
        &mut values,
        "connection_id = ?",
        q.connection_id.clone().map(SqlValue::Text),
    );
    filter(
        &mut clauses,
        &mut values,
        "topic LIKE ? ESCAPE '\\'",
        q.contains.as_deref().map(like),
    );
    match q.parsed {
        Some(true) => clauses.push("parser IS NOT NULL".into()),
        Some(false) => clauses.push("parser IS NULL".into()),
        None => {}
    }
    values.push(SqlValue::Integer(
        i64::try_from(q.limit).unwrap_or(i64::MAX),
    ));
    let sql = format!(
        "SELECT connection_id, topic, first_ms, last_ms, count, parsed, failed, sample, parser
         FROM topics {} ORDER BY last_ms DESC, topic LIMIT ?{}",
        where_sql(&clauses),
        values.len()
    );
    let mut s = c.prepare(&sql).map_err(storage)?;
    let rows = s
        .query_map(rusqlite::params_from_iter(values), |r| {
            Ok(DiscoveredTopic {
                connection_id: r.get(0)?,
                topic: r.get(1)?,
                first_seen: timestamp(r.get(2)?),
                last_seen: timestamp(r.get(3)?),
                count: uint(r.get(4)?),
                parsed: uint(r.get(5)?),
                failed: uint(r.get(6)?),
                sample: r.get(7)?,
                parser: r.get(8)?,
            })
        })
        .map_err(storage)?;
    rows.collect::<Result<_, _>>().map_err(storage)
}

pub(super) fn parse_log(c: &Db, q: &ParseLogQuery) -> Result<Vec<ParseFailure>, StoreError> {
    let (mut clauses, mut values) = (Vec::new(), Vec::new());
    filter(
        &mut clauses,
        &mut values,
        "connection_id = ?",
        q.connection_id.clone().map(SqlValue::Text),
    );
    filter(
        &mut clauses,
        &mut values,
        "parser = ?",
        q.parser.clone().map(SqlValue::Text),
    );
    filter(
        &mut clauses,
        &mut values,
        "kind = ?",
        q.kind.as_ref().map(|k| SqlValue::Text(enum_text(k))),
    );
    filter(
        &mut clauses,
        &mut values,
        "topic LIKE ? ESCAPE '\\'",
        q.topic_contains.as_deref().map(like),
    );
    values.push(SqlValue::Integer(
        i64::try_from(q.limit).unwrap_or(i64::MAX),
    ));
    let sql = format!(
        "SELECT at, connection_id, topic, parser, kind, pointer, reason, excerpt
         FROM parse_log {} ORDER BY seq DESC LIMIT ?{}",
        where_sql(&clauses),
        values.len()
    );
    let mut s = c.prepare(&sql).map_err(storage)?;
    let rows = s
        .query_map(rusqlite::params_from_iter(values), |r| {
            let kind: String = r.get(4)?;
            Ok(ParseFailure {
                at: Timestamp(r.get(0)?),
                connection_id: r.get(1)?,
                topic: r.get(2)?,
                parser: r.get(3)?,
                kind: enum_from(&kind)?,
                pointer: r.get(5)?,
                reason: r.get(6)?,
                excerpt: r.get(7)?,
            })
        })
        .map_err(storage)?;
    rows.collect::<Result<_, _>>().map_err(storage)
}

/// The whole tree, built from three ordered scans.
pub(super) fn devices(c: &Db) -> Result<DeviceTree, StoreError> {
    let mut rows = Rows::default();
    let mut s = c.prepare_cached(GATEWAYS_SQL).map_err(storage)?;
    rows.gateways = s
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                Gateway {
                    id: r.get(1)?,
                    online: r.get(2)?,
                    rssi: r.get(3)?,
                    last_seen: timestamp(r.get(4)?),
                    dataloggers: Vec::new(),
                },
            ))
        })
        .and_then(|rows| rows.collect())
        .map_err(storage)?;
    let mut s = c.prepare_cached(DATALOGGERS_SQL).map_err(storage)?;
    rows.dataloggers = s
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                Datalogger {
                    id: r.get(2)?,
                    model: r.get(3)?,
                    firmware: r.get(4)?,
                    last_seen: timestamp(r.get(5)?),
                    sensors: Vec::new(),
                },
            ))
        })
        .and_then(|rows| rows.collect())
        .map_err(storage)?;
    let mut s = c.prepare_cached(SENSORS_SQL).map_err(storage)?;
    rows.sensors = s
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                Sensor {
                    id: r.get(3)?,
                    kind: r.get(4)?,
                    unit: r.get(5)?,
                    value: r.get(6)?,
                    at: timestamp(r.get(7)?),
                },
            ))
        })
        .and_then(|rows| rows.collect())
        .map_err(storage)?;
    Ok(assemble(rows))
}

pub(super) fn history(c: &Db, key: SensorKey) -> Result<Option<SensorHistory>, StoreError> {
    let unit: Option<String> = c
        .query_row(
            SENSOR_UNIT_SQL,
            params![key.site, key.gateway, key.datalogger, key.sensor],
            |r| r.get(0),
        )
        .optional()
        .map_err(storage)?;
    let Some(unit) = unit else {
        return Ok(None);
    };
    let mut s = c.prepare_cached(HISTORY_SQL).map_err(storage)?;
    let points = s
        .query_map(
            params![key.site, key.gateway, key.datalogger, key.sensor],
            |r| {
                Ok(Point {
                    at: timestamp(r.get(0)?),
                    value: r.get(1)?,
                })
            },
        )
        .map_err(storage)?
        .collect::<Result<_, _>>()
        .map_err(storage)?;
    Ok(Some(SensorHistory { key, unit, points }))
}
