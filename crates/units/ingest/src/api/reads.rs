//! `modt/ingest/{topics,devices,sensors,parse-log}/…`: what the unit has seen and built,
//! for any logged-in user.

use std::sync::Arc;

use modt::protocol::ingest::{DiscoveredPage, ParseFailureKind, ParseLogPage, SensorKey};
use modt::protocol::{ApiReply, ApiRequest, ErrorCode, FieldError};
use modt::{Context, HandlerError, HandlerResult, Message};

use super::{caller, json, store_error, Shared};
use crate::rules;
use crate::store::{ParseLogQuery, TopicQuery};

fn limit(req: &ApiRequest) -> Result<usize, HandlerError> {
    rules::limit(req.query("limit")).map_err(|e| HandlerError::unprocessable(vec![e]))
}

fn text(req: &ApiRequest, name: &str) -> Option<String> {
    req.query(name).filter(|v| !v.is_empty()).map(str::to_owned)
}

pub(crate) async fn topics(h: Arc<Shared>, ctx: Context, msg: Message) -> HandlerResult {
    let req: ApiRequest = ctx.decode(&msg)?;
    caller(&req)?;
    let parsed = match req.query("parsed") {
        None | Some("") => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(_) => {
            return Err(HandlerError::unprocessable(vec![FieldError::new(
                "parsed",
                "must be true or false",
            )]))
        }
    };
    let query = TopicQuery {
        connection_id: text(&req, "connection"),
        contains: text(&req, "topic"),
        parsed,
        limit: limit(&req)?,
    };
    let items = h.store.topics(query).await.map_err(store_error)?;
    ctx.reply(&ApiReply::ok(json(&DiscoveredPage { items })?))
        .await?;
    Ok(())
}

pub(crate) async fn devices(h: Arc<Shared>, ctx: Context, msg: Message) -> HandlerResult {
    let req: ApiRequest = ctx.decode(&msg)?;
    caller(&req)?;
    let tree = h.store.devices().await.map_err(store_error)?;
    ctx.reply(&ApiReply::ok(json(&tree)?)).await?;
    Ok(())
}

pub(crate) async fn history(h: Arc<Shared>, ctx: Context, msg: Message) -> HandlerResult {
    let req: ApiRequest = ctx.decode(&msg)?;
    caller(&req)?;
    let param = |n: &str| req.param(n).map(str::to_owned).unwrap_or_default();
    let key = SensorKey {
        site: param("site"),
        gateway: param("gateway"),
        datalogger: param("datalogger"),
        sensor: param("sensor"),
    };
    let history = h
        .store
        .history(key)
        .await
        .map_err(store_error)?
        .ok_or_else(|| HandlerError::new(ErrorCode::NotFound, "no such sensor"))?;
    ctx.reply(&ApiReply::ok(json(&history)?)).await?;
    Ok(())
}

pub(crate) async fn parse_log(h: Arc<Shared>, ctx: Context, msg: Message) -> HandlerResult {
    let req: ApiRequest = ctx.decode(&msg)?;
    caller(&req)?;
    let kind = match text(&req, "kind") {
        None => None,
        Some(k) => Some(
            serde_json::from_value::<ParseFailureKind>(serde_json::Value::String(k)).map_err(
                |_| {
                    HandlerError::unprocessable(vec![FieldError::new(
                        "kind",
                        "is not a parse failure kind",
                    )])
                },
            )?,
        ),
    };
    let query = ParseLogQuery {
        connection_id: text(&req, "connection"),
        parser: text(&req, "parser"),
        kind,
        topic_contains: text(&req, "topic"),
        limit: limit(&req)?,
    };
    let items = h.store.parse_log(query).await.map_err(store_error)?;
    ctx.reply(&ApiReply::ok(json(&ParseLogPage { items })?))
        .await?;
    Ok(())
}
