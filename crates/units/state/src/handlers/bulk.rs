//! `modt/state/bulk/get` and `modt/state/bulk/set` (extension; both need `reply_to`).
//! A bulk set is one batch: all entries are written in one savepoint, or none is.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use modt::protocol::{
    BulkValue, ChangeOp, Correlation, EntryMeta, StateBulkGet, StateBulkSet, StateBulkValue,
    StateChanged, Timestamp,
};
use modt::unit::HandlerFuture;
use modt::{Context, HandlerError, Message};

use super::{ack, store_error, Shared};
use crate::store::{Write, WriteOutcome};

fn need_reply(ctx: &Context) -> Result<(), HandlerError> {
    if ctx.request().is_correlated() {
        Ok(())
    } else {
        Err(HandlerError::bad_request(
            "bulk requests need reply_to (or an MQTT 5 response topic)",
        ))
    }
}

pub(crate) fn get(
    h: &Arc<Shared>,
    ctx: Context,
    msg: Message,
) -> Result<HandlerFuture, HandlerError> {
    let req: StateBulkGet = ctx.decode(&msg)?;
    need_reply(&ctx)?;
    h.limits.user_id(&req.user_id)?;
    h.limits.bulk(req.keys.len())?;
    for k in &req.keys {
        h.limits.key(k)?;
    }
    let barrier = h.store.barrier();
    let h = h.clone();
    Ok(Box::pin(async move {
        barrier.await;
        let entries = h
            .store
            .get_many(&req.user_id, &req.keys)
            .await
            .map_err(store_error)?;
        let values: BTreeMap<String, Option<BulkValue>> = req
            .keys
            .into_iter()
            .zip(entries)
            .map(|(k, e)| {
                let v = e.map(|e| BulkValue {
                    value: e.value,
                    meta: EntryMeta {
                        version: e.version,
                        updated_at: e.updated_at,
                        expires_at_ms: e.expires_at_ms,
                    },
                });
                (k, v)
            })
            .collect();
        let reply = StateBulkValue {
            timestamp: Some(Timestamp::now()),
            user_id: req.user_id,
            values,
            correlation: Correlation::NONE,
        };
        ctx.reply(&reply).await?;
        Ok(())
    }))
}

pub(crate) fn set(
    h: &Arc<Shared>,
    ctx: Context,
    msg: Message,
) -> Result<HandlerFuture, HandlerError> {
    let req: StateBulkSet = ctx.decode(&msg)?;
    need_reply(&ctx)?;
    h.limits.user_id(&req.user_id)?;
    h.limits.bulk(req.entries.len())?;
    for e in &req.entries {
        h.limits.key(&e.key)?;
        h.limits.value(&e.value)?;
    }
    let writes = req
        .entries
        .iter()
        .map(|e| Write::Set {
            user_id: req.user_id.clone(),
            key: e.key.clone(),
            value: e.value.clone(),
            if_version: e.if_version,
            ttl: e.ttl_secs.map(Duration::from_secs),
        })
        .collect();
    let ticket = h
        .store
        .submit(ctx.request().retry_key().as_deref(), writes)
        .map_err(store_error)?;
    let h = h.clone();
    Ok(Box::pin(async move {
        let done = ticket.committed().await.map_err(store_error)?;
        let mut versions = BTreeMap::new();
        for (e, o) in req.entries.iter().zip(&done.outcomes) {
            if let WriteOutcome::Set { version } = o {
                versions.insert(e.key.clone(), *version);
            }
        }
        ack(&ctx, |a| a.versions = Some(versions.clone())).await?;
        if done.replayed {
            return Ok(());
        }
        for e in req.entries {
            let version = versions.get(&e.key).copied();
            let event = StateChanged {
                timestamp: None,
                user_id: req.user_id.clone(),
                op: ChangeOp::Set,
                key: Some(e.key),
                value: Some(e.value),
                version,
            };
            h.changed(event).await;
        }
        Ok(())
    }))
}
