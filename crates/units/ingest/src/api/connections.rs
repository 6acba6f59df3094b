//! `modt/ingest/connections/…`: list, create, get, update (also start/stop), delete, log.
//! Every change pokes the reconciler, so it takes effect at once.

use std::sync::Arc;

use modt::protocol::ingest::{
    Connection, ConnectionDraft, ConnectionList, ConnectionLog, ConnectionPatch,
};
use modt::protocol::{ApiReply, ApiRequest, ErrorCode};
use modt::{Context, HandlerError, HandlerResult, Message};

use super::{admin, body, caller, id, json, not_found, store_error, with_etag, Shared};
use crate::model::{now_ms, timestamp};
use crate::rules;
use crate::store::StoredConnection;

/// Entries of a connection's log on one page, at most (`limit`).
pub(crate) const MAX_LOG_PAGE: usize = crate::store::MAX_LOG_PER_CONNECTION;

pub(crate) async fn list(h: Arc<Shared>, ctx: Context, msg: Message) -> HandlerResult {
    let req: ApiRequest = ctx.decode(&msg)?;
    caller(&req)?;
    let rows = h.store.connections().await.map_err(store_error)?;
    let list = ConnectionList {
        items: rows.into_iter().map(|r| h.with_status(r)).collect(),
    };
    ctx.reply(&ApiReply::ok(json(&list)?)).await?;
    Ok(())
}

pub(crate) async fn get(h: Arc<Shared>, ctx: Context, msg: Message) -> HandlerResult {
    let req: ApiRequest = ctx.decode(&msg)?;
    caller(&req)?;
    let row = h
        .store
        .connection(&id(&req)?)
        .await
        .map_err(store_error)?
        .ok_or_else(not_found)?;
    let c = h.with_status(row);
    ctx.reply(&with_etag(ApiReply::ok(json(&c)?), &c)).await?;
    Ok(())
}

pub(crate) async fn create(h: Arc<Shared>, ctx: Context, msg: Message) -> HandlerResult {
    let req: ApiRequest = ctx.decode(&msg)?;
    let who = admin(&req)?;
    let draft: ConnectionDraft = body(&req)?;
    let errors = rules::draft(&draft);
    if !errors.is_empty() {
        return Err(HandlerError::unprocessable(errors));
    }
    let id = uuid::Uuid::new_v4().simple().to_string();
    let row = new_connection(&h, id, draft)?;
    h.store.create(row.clone()).await.map_err(store_error)?;
    tracing::info!(connection = %row.connection.id, name = %row.connection.name, by = %who.user_id, "ingest connection created");
    h.poke.poke();
    let c = h.with_status(row);
    ctx.reply(&with_etag(ApiReply::created(json(&c)?), &c))
        .await?;
    Ok(())
}

/// A new connection from a checked draft, its password sealed.
pub(crate) fn new_connection(
    h: &Shared,
    id: String,
    d: ConnectionDraft,
) -> Result<StoredConnection, HandlerError> {
    let now = timestamp(now_ms());
    let sealed_password = seal(h, &id, d.password.as_deref())?;
    Ok(StoredConnection {
        connection: Connection {
            client_id: d
                .client_id
                .unwrap_or_else(|| format!("modt-ingest-{}", &id[..id.len().min(12)])),
            id,
            name: d.name.trim().to_owned(),
            host: d.host,
            port: d.port,
            tls: d.tls,
            username: d.username.filter(|u| !u.is_empty()),
            has_password: sealed_password.is_some(),
            subscriptions: d.subscriptions,
            is_active: d.is_active,
            version: 1,
            created_at: now.clone(),
            updated_at: now,
        },
        sealed_password,
    })
}

fn seal(h: &Shared, id: &str, password: Option<&str>) -> Result<Option<String>, HandlerError> {
    match password.filter(|p| !p.is_empty()) {
        None => Ok(None),
        Some(p) => h.key.seal(id, p).map(Some).map_err(|e| {
            tracing::error!(error = %e, "cannot seal a connection password");
            HandlerError::new(ErrorCode::Internal, "cannot store the password")
        }),
    }
}

pub(crate) async fn update(h: Arc<Shared>, ctx: Context, msg: Message) -> HandlerResult {
    let req: ApiRequest = ctx.decode(&msg)?;
    let who = admin(&req)?;
    let id = id(&req)?;
    let patch: ConnectionPatch = body(&req)?;
    let errors = rules::patch(&patch);
    if !errors.is_empty() {
        return Err(HandlerError::unprocessable(errors));
    }
    let current = h
        .store
        .connection(&id)
        .await
        .map_err(store_error)?
        .ok_or_else(not_found)?;
    let version = current.connection.version;
    if let Some(versions) = rules::if_match(req.header("if-match")) {
        if !versions.contains(&version) {
            return Err(store_error(crate::store::StoreError::PreconditionFailed {
                current: version,
            }));
        }
    }
    let next = patched(&h, current, patch)?;
    h.store
        .replace(next.clone(), version)
        .await
        .map_err(store_error)?;
    tracing::info!(connection = %id, active = next.connection.is_active, by = %who.user_id, "ingest connection changed");
    h.poke.poke();
    let c = h.with_status(next);
    ctx.reply(&with_etag(ApiReply::ok(json(&c)?), &c)).await?;
    Ok(())
}

fn patched(
    h: &Shared,
    mut s: StoredConnection,
    p: ConnectionPatch,
) -> Result<StoredConnection, HandlerError> {
    let c = &mut s.connection;
    if let Some(v) = p.name {
        c.name = v.trim().to_owned();
    }
    if let Some(v) = p.host {
        c.host = v;
    }
    if let Some(v) = p.port {
        c.port = v;
    }
    if let Some(v) = p.tls {
        c.tls = v;
    }
    if let Some(v) = p.username {
        c.username = Some(v).filter(|u| !u.is_empty());
    }
    if let Some(v) = p.password {
        s.sealed_password = seal(h, &c.id, Some(&v))?;
    }
    if let Some(v) = p.client_id {
        c.client_id = v;
    }
    if let Some(v) = p.subscriptions {
        c.subscriptions = v;
    }
    if let Some(v) = p.is_active {
        c.is_active = v;
    }
    c.has_password = s.sealed_password.is_some();
    c.version += 1;
    c.updated_at = timestamp(now_ms());
    Ok(s)
}

pub(crate) async fn delete(h: Arc<Shared>, ctx: Context, msg: Message) -> HandlerResult {
    let req: ApiRequest = ctx.decode(&msg)?;
    let who = admin(&req)?;
    let id = id(&req)?;
    h.store
        .delete(&id, rules::if_match(req.header("if-match")))
        .await
        .map_err(store_error)?;
    tracing::info!(connection = %id, by = %who.user_id, "ingest connection deleted");
    h.poke.poke();
    ctx.reply(&ApiReply::no_content()).await?;
    Ok(())
}

pub(crate) async fn log(h: Arc<Shared>, ctx: Context, msg: Message) -> HandlerResult {
    let req: ApiRequest = ctx.decode(&msg)?;
    caller(&req)?;
    let id = id(&req)?;
    let limit = rules::limit(req.query("limit"))
        .map_err(|e| HandlerError::unprocessable(vec![e]))?
        .min(MAX_LOG_PAGE);
    if h.store
        .connection(&id)
        .await
        .map_err(store_error)?
        .is_none()
    {
        return Err(not_found());
    }
    let items = h
        .store
        .connection_log(&id, limit)
        .await
        .map_err(store_error)?;
    ctx.reply(&ApiReply::ok(json(&ConnectionLog { items })?))
        .await?;
    Ok(())
}
