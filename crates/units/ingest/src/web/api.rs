//! The page's reads, as JSON, for any logged-in user, straight from the unit's store (the
//! page never writes here: starting and stopping goes through the gateway's REST API):
//!
//! - `GET /api/connections`: every connection with its live status (`ConnectionList`);
//! - `GET /api/devices`: the device tree (`DeviceTree`);
//! - `GET /api/history/{site}/{gateway}/{datalogger}/{sensor}`: a sensor's recent values
//!   (`SensorHistory`; 404 when unknown);
//! - `GET /api/topics?connection=&topic=&parsed=&limit=`: discovered topics (`DiscoveredPage`);
//! - `GET /api/parse-log?connection=&parser=&kind=&topic=&limit=`: refused messages
//!   (`ParseLogPage`);
//! - `GET /api/limits`: the limits on topics and devices and what they left out since the
//!   unit started (`IngestLimits`).
//!
//! The same answers as the gateway's `GET /ingest/…` routes, without the round trip through
//! the bus and the gateway's per-user rate limit (a page with many sensors asks for many
//! histories at once).

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::Json;
use modt::protocol::ingest::{
    ConnectionList, ConnectionWithStatus, DeviceTree, DiscoveredPage, ParseFailureKind,
    ParseLogPage, SensorHistory, SensorKey,
};
use modt::protocol::{ErrorCode, FieldError};
use modt_web::{ApiError, RequireUser};

use super::WebState;
use crate::pipeline::limits::IngestLimits;
use crate::store::{IngestStore, ParseLogQuery, StoreError, TopicQuery};

type Params = Query<HashMap<String, String>>;

/// The store, or 503 when this web side has none (a page served without the unit).
fn store(s: &WebState) -> Result<&Arc<dyn IngestStore>, ApiError> {
    s.store
        .as_ref()
        .ok_or_else(|| ApiError::unavailable("the ingest store is not open"))
}

fn failed(e: StoreError) -> ApiError {
    ApiError::unavailable(e)
}

/// A query parameter, `None` when absent or empty.
fn text(q: &HashMap<String, String>, name: &str) -> Option<String> {
    q.get(name).filter(|v| !v.is_empty()).cloned()
}

fn invalid(e: FieldError) -> ApiError {
    ApiError::new(ErrorCode::Unprocessable, "a query parameter is not valid").with_details(vec![e])
}

fn limit(q: &HashMap<String, String>) -> Result<usize, ApiError> {
    crate::rules::limit(q.get("limit").map(String::as_str)).map_err(invalid)
}

/// `GET /api/connections`.
pub async fn connections(
    State(s): State<WebState>,
    _user: RequireUser,
) -> Result<Json<ConnectionList>, ApiError> {
    let stored = store(&s)?.connections().await.map_err(failed)?;
    let items = stored
        .into_iter()
        .map(|c| ConnectionWithStatus {
            status: s.statuses.get(&c.connection.id),
            connection: c.connection,
        })
        .collect();
    Ok(Json(ConnectionList { items }))
}

/// `GET /api/limits`.
pub async fn limits(State(s): State<WebState>, _user: RequireUser) -> Json<IngestLimits> {
    Json(s.limits.report())
}

/// `GET /api/devices`.
pub async fn devices(
    State(s): State<WebState>,
    _user: RequireUser,
) -> Result<Json<DeviceTree>, ApiError> {
    Ok(Json(store(&s)?.devices().await.map_err(failed)?))
}

/// `GET /api/history/{site}/{gateway}/{datalogger}/{sensor}`.
pub async fn history(
    State(s): State<WebState>,
    _user: RequireUser,
    Path((site, gateway, datalogger, sensor)): Path<(String, String, String, String)>,
) -> Result<Json<SensorHistory>, ApiError> {
    let key = SensorKey {
        site,
        gateway,
        datalogger,
        sensor,
    };
    store(&s)?
        .history(key)
        .await
        .map_err(failed)?
        .map(Json)
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "no such sensor"))
}

/// `GET /api/topics`.
pub async fn topics(
    State(s): State<WebState>,
    _user: RequireUser,
    Query(q): Params,
) -> Result<Json<DiscoveredPage>, ApiError> {
    let parsed = match text(&q, "parsed").as_deref() {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(_) => return Err(invalid(FieldError::new("parsed", "must be true or false"))),
    };
    let query = TopicQuery {
        connection_id: text(&q, "connection"),
        contains: text(&q, "topic"),
        parsed,
        limit: limit(&q)?,
    };
    let items = store(&s)?.topics(query).await.map_err(failed)?;
    Ok(Json(DiscoveredPage { items }))
}

/// `GET /api/parse-log`.
pub async fn parse_log(
    State(s): State<WebState>,
    _user: RequireUser,
    Query(q): Params,
) -> Result<Json<ParseLogPage>, ApiError> {
    let query = ParseLogQuery {
        connection_id: text(&q, "connection"),
        parser: text(&q, "parser"),
        kind: text(&q, "kind").map(|k| kind(&k)).transpose()?,
        topic_contains: text(&q, "topic"),
        limit: limit(&q)?,
    };
    let items = store(&s)?.parse_log(query).await.map_err(failed)?;
    Ok(Json(ParseLogPage { items }))
}

/// A failure kind by its wire name (`not_json`, `schema`, …).
fn kind(name: &str) -> Result<ParseFailureKind, ApiError> {
    serde_json::from_value(serde_json::Value::String(name.to_owned())).map_err(|_| {
        invalid(FieldError::new(
            "kind",
            "must be not_json, too_large, schema, mapping, topic or custom",
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_read_by_their_wire_names() {
        assert_eq!(kind("not_json").unwrap(), ParseFailureKind::NotJson);
        assert_eq!(kind("too_large").unwrap(), ParseFailureKind::TooLarge);
        assert_eq!(kind("schema").unwrap(), ParseFailureKind::Schema);
        assert_eq!(kind("Schema").unwrap_err().code(), ErrorCode::Unprocessable);
        let q: HashMap<String, String> = [("limit".to_owned(), "0".to_owned())].into();
        assert_eq!(limit(&q).unwrap_err().code(), ErrorCode::Unprocessable);
        assert_eq!(
            limit(&HashMap::new()).unwrap(),
            modt::protocol::ingest::DEFAULT_PAGE_SIZE
        );
    }
}
