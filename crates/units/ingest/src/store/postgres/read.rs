//! The queries on PostgreSQL, and the decoding of rows into the wire's types.

use deadpool_postgres::GenericClient;
use modt::protocol::ingest::{
    Connection, ConnectionStatus, Datalogger, DeviceTree, DiscoveredTopic, Gateway, ParseFailure,
    Point, Sensor, SensorHistory, SensorKey,
};
use modt::protocol::Timestamp;
use tokio_postgres::types::ToSql;
use tokio_postgres::Row;

use super::pg;
use crate::model::timestamp;
use crate::store::sql::{
    CONNECTION_COLUMNS, DATALOGGERS_SQL, GATEWAYS_SQL, HISTORY_SQL, LOG_SQL, SENSORS_SQL,
    SENSOR_UNIT_SQL,
};
use crate::store::text::{enum_from, enum_text};
use crate::store::tree::{assemble, Rows};
use crate::store::{ParseLogQuery, StoreError, StoredConnection, TopicQuery};

fn uint(v: i64) -> u64 {
    u64::try_from(v).unwrap_or_default()
}

fn int(v: usize) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn stored(r: &Row) -> Result<StoredConnection, StoreError> {
    let subscriptions: String = r.try_get(8).map_err(pg)?;
    let sealed_password: Option<String> = r.try_get(6).map_err(pg)?;
    let port: i32 = r.try_get(3).map_err(pg)?;
    Ok(StoredConnection {
        connection: Connection {
            id: r.try_get(0).map_err(pg)?,
            name: r.try_get(1).map_err(pg)?,
            host: r.try_get(2).map_err(pg)?,
            port: u16::try_from(port).unwrap_or_default(),
            tls: r.try_get(4).map_err(pg)?,
            username: r.try_get(5).map_err(pg)?,
            has_password: sealed_password.is_some(),
            client_id: r.try_get(7).map_err(pg)?,
            subscriptions: serde_json::from_str(&subscriptions)
                .map_err(|e| StoreError::Storage(e.to_string()))?,
            is_active: r.try_get(9).map_err(pg)?,
            version: uint(r.try_get(10).map_err(pg)?),
            created_at: timestamp(r.try_get(11).map_err(pg)?),
            updated_at: timestamp(r.try_get(12).map_err(pg)?),
        },
        sealed_password,
    })
}

pub(super) async fn connections(
    c: &impl GenericClient,
) -> Result<Vec<StoredConnection>, StoreError> {
    let sql = format!("SELECT {CONNECTION_COLUMNS} FROM connections ORDER BY name, id");
    let rows = c.query(&sql, &[]).await.map_err(pg)?;
    rows.iter().map(stored).collect()
}

/// One connection, its row locked until the transaction ends when `lock`.
pub(super) async fn connection(
    c: &impl GenericClient,
    id: &str,
    lock: bool,
) -> Result<Option<StoredConnection>, StoreError> {
    let sql = format!(
        "SELECT {CONNECTION_COLUMNS} FROM connections WHERE id = $1{}",
        if lock { " FOR UPDATE" } else { "" }
    );
    let row = c.query_opt(&sql, &[&id]).await.map_err(pg)?;
    row.as_ref().map(stored).transpose()
}

pub(super) async fn connection_log(
    c: &impl GenericClient,
    id: &str,
    limit: usize,
) -> Result<Vec<ConnectionStatus>, StoreError> {
    let rows = c.query(LOG_SQL, &[&id, &int(limit)]).await.map_err(pg)?;
    rows.iter()
        .map(|r| {
            let state: String = r.try_get(1).map_err(pg)?;
            let attempt: i64 = r.try_get(3).map_err(pg)?;
            let next: Option<String> = r.try_get(5).map_err(pg)?;
            Ok(ConnectionStatus {
                connection_id: r.try_get(0).map_err(pg)?,
                state: enum_from(&state)?,
                reason: r.try_get(2).map_err(pg)?,
                attempt: u32::try_from(attempt).unwrap_or_default(),
                since: Timestamp(r.try_get(4).map_err(pg)?),
                next_attempt_at: next.map(Timestamp),
            })
        })
        .collect()
}

/// Filters as SQL and their values, `$n` in order.
#[derive(Default)]
struct Filters {
    clauses: Vec<String>,
    values: Vec<Box<dyn ToSql + Sync + Send>>,
}

impl Filters {
    fn add(&mut self, clause: &str, value: Option<Box<dyn ToSql + Sync + Send>>) {
        if let Some(v) = value {
            self.values.push(v);
            self.clauses
                .push(clause.replace('?', &format!("${}", self.values.len())));
        }
    }

    fn sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", self.clauses.join(" AND "))
        }
    }

    fn refs(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.values
            .iter()
            .map(|v| v.as_ref() as &(dyn ToSql + Sync))
            .collect()
    }
}

fn text(v: Option<String>) -> Option<Box<dyn ToSql + Sync + Send>> {
    v.map(|t| Box::new(t) as Box<dyn ToSql + Sync + Send>)
}

fn like(v: Option<&str>) -> Option<Box<dyn ToSql + Sync + Send>> {
    text(v.map(|t| {
        let escaped = t
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        format!("%{escaped}%")
    }))
}

pub(super) async fn topics(
    c: &impl GenericClient,
    q: &TopicQuery,
) -> Result<Vec<DiscoveredTopic>, StoreError> {
    let mut f = Filters::default();
    f.add("connection_id = ?", text(q.connection_id.clone()));
    f.add("topic LIKE ? ESCAPE '\\'", like(q.contains.as_deref()));
    match q.parsed {
        Some(true) => f.clauses.push("parser IS NOT NULL".into()),
        Some(false) => f.clauses.push("parser IS NULL".into()),
        None => {}
    }
    f.values.push(Box::new(int(q.limit)));
    let sql = format!(
        "SELECT connection_id, topic, first_ms, last_ms, count, parsed, failed, sample, parser
         FROM topics {} ORDER BY last_ms DESC, topic LIMIT ${}",
        f.sql(),
        f.values.len()
    );
    let rows = c.query(&sql, &f.refs()).await.map_err(pg)?;
    rows.iter()
        .map(|r| {
            Ok(DiscoveredTopic {
                connection_id: r.try_get(0).map_err(pg)?,
                topic: r.try_get(1).map_err(pg)?,
                first_seen: timestamp(r.try_get(2).map_err(pg)?),
                last_seen: timestamp(r.try_get(3).map_err(pg)?),
                count: uint(r.try_get(4).map_err(pg)?),
                parsed: uint(r.try_get(5).map_err(pg)?),
                failed: uint(r.try_get(6).map_err(pg)?),
                sample: r.try_get(7).map_err(pg)?,
                parser: r.try_get(8).map_err(pg)?,
            })
        })
        .collect()
}

pub(super) async fn parse_log(
    c: &impl GenericClient,
    q: &ParseLogQuery,
) -> Result<Vec<ParseFailure>, StoreError> {
    let mut f = Filters::default();
    f.add("connection_id = ?", text(q.connection_id.clone()));
    f.add("parser = ?", text(q.parser.clone()));
    f.add("kind = ?", text(q.kind.as_ref().map(enum_text)));
    f.add(
        "topic LIKE ? ESCAPE '\\'",
        like(q.topic_contains.as_deref()),
    );
    f.values.push(Box::new(int(q.limit)));
    let sql = format!(
        "SELECT at, connection_id, topic, parser, kind, pointer, reason, excerpt
         FROM parse_log {} ORDER BY seq DESC LIMIT ${}",
        f.sql(),
        f.values.len()
    );
    let rows = c.query(&sql, &f.refs()).await.map_err(pg)?;
    rows.iter()
        .map(|r| {
            let kind: String = r.try_get(4).map_err(pg)?;
            Ok(ParseFailure {
                at: Timestamp(r.try_get(0).map_err(pg)?),
                connection_id: r.try_get(1).map_err(pg)?,
                topic: r.try_get(2).map_err(pg)?,
                parser: r.try_get(3).map_err(pg)?,
                kind: enum_from(&kind)?,
                pointer: r.try_get(5).map_err(pg)?,
                reason: r.try_get(6).map_err(pg)?,
                excerpt: r.try_get(7).map_err(pg)?,
            })
        })
        .collect()
}

pub(super) async fn devices(c: &impl GenericClient) -> Result<DeviceTree, StoreError> {
    let mut rows = Rows::default();
    for r in c.query(GATEWAYS_SQL, &[]).await.map_err(pg)? {
        rows.gateways.push((
            r.try_get(0).map_err(pg)?,
            Gateway {
                id: r.try_get(1).map_err(pg)?,
                online: r.try_get(2).map_err(pg)?,
                rssi: r.try_get(3).map_err(pg)?,
                last_seen: timestamp(r.try_get(4).map_err(pg)?),
                dataloggers: Vec::new(),
            },
        ));
    }
    for r in c.query(DATALOGGERS_SQL, &[]).await.map_err(pg)? {
        rows.dataloggers.push((
            r.try_get(0).map_err(pg)?,
            r.try_get(1).map_err(pg)?,
            Datalogger {
                id: r.try_get(2).map_err(pg)?,
                model: r.try_get(3).map_err(pg)?,
                firmware: r.try_get(4).map_err(pg)?,
                last_seen: timestamp(r.try_get(5).map_err(pg)?),
                sensors: Vec::new(),
            },
        ));
    }
    for r in c.query(SENSORS_SQL, &[]).await.map_err(pg)? {
        rows.sensors.push((
            r.try_get(0).map_err(pg)?,
            r.try_get(1).map_err(pg)?,
            r.try_get(2).map_err(pg)?,
            Sensor {
                id: r.try_get(3).map_err(pg)?,
                kind: r.try_get(4).map_err(pg)?,
                unit: r.try_get(5).map_err(pg)?,
                value: r.try_get(6).map_err(pg)?,
                at: timestamp(r.try_get(7).map_err(pg)?),
            },
        ));
    }
    Ok(assemble(rows))
}

pub(super) async fn history(
    c: &impl GenericClient,
    key: SensorKey,
) -> Result<Option<SensorHistory>, StoreError> {
    let params: [&(dyn ToSql + Sync); 4] = [&key.site, &key.gateway, &key.datalogger, &key.sensor];
    let Some(unit) = c.query_opt(SENSOR_UNIT_SQL, &params).await.map_err(pg)? else {
        return Ok(None);
    };
    let unit: String = unit.try_get(0).map_err(pg)?;
    let points = c
        .query(HISTORY_SQL, &params)
        .await
        .map_err(pg)?
        .iter()
        .map(|r| {
            Ok(Point {
                at: timestamp(r.try_get(0).map_err(pg)?),
                value: r.try_get(1).map_err(pg)?,
            })
        })
        .collect::<Result<_, StoreError>>()?;
    Ok(Some(SensorHistory { key, unit, points }))
}
