//! `modt/todo/delete` (`DELETE /todos/{id}`): deletes the todo, with `If-Match` only while
//! it is at that version; 204.

use std::sync::Arc;

use modt::protocol::{ApiReply, ApiRequest, TodoOp};
use modt::{Context, HandlerResult, Message};

use super::{announce, caller, request_keys, scope, store_error, todo_id, Shared};
use crate::rules;
use crate::store::{now_ms, Write, WriteOp};

pub(crate) async fn handle(h: Arc<Shared>, ctx: Context, msg: Message) -> HandlerResult {
    let req: ApiRequest = ctx.decode(&msg)?;
    let caller = caller(&req)?;
    let id = todo_id(&req)?;
    let keys = request_keys(&ctx, &req, caller)?;
    let now = now_ms();
    let write = Write {
        op: WriteOp::Delete {
            id,
            owner: scope(caller),
            if_match: rules::if_match(req.header("if-match")),
        },
        keys,
        now_ms: now,
    };
    let applied = h.store.write(write).await.map_err(store_error)?;
    ctx.reply(&ApiReply::no_content()).await?;
    if !applied.replayed {
        announce(&ctx, TodoOp::Deleted, applied.outcome.todo()).await;
    }
    Ok(())
}
