//! `modt/todo/update` (`PATCH /todos/{id}`): changes the fields given, version + 1; with
//! `If-Match` only while the todo is at that version (else `precondition_failed`); 200 with
//! the todo and its new `etag`.

use std::sync::Arc;

use modt::protocol::{ApiReply, ApiRequest, TodoOp};
use modt::{Context, HandlerError, HandlerResult, Message};

use super::{announce, body, caller, request_keys, scope, store_error, todo_id, with_etag, Shared};
use crate::rules;
use crate::store::{now_ms, Write, WriteOp};

pub(crate) async fn handle(h: Arc<Shared>, ctx: Context, msg: Message) -> HandlerResult {
    let req: ApiRequest = ctx.decode(&msg)?;
    let caller = caller(&req)?;
    let id = todo_id(&req)?;
    let patch = rules::patch(req.body.as_ref()).map_err(HandlerError::unprocessable)?;
    let keys = request_keys(&ctx, &req, caller)?;
    let now = now_ms();
    let write = Write {
        op: WriteOp::Update {
            id,
            owner: scope(caller),
            if_match: rules::if_match(req.header("if-match")),
            patch,
            now_ms: now,
        },
        keys,
        now_ms: now,
    };
    let applied = h.store.write(write).await.map_err(store_error)?;
    let todo = applied.outcome.todo();
    ctx.reply(&with_etag(ApiReply::ok(body(todo)?), todo))
        .await?;
    if !applied.replayed {
        announce(&ctx, TodoOp::Updated, todo).await;
    }
    Ok(())
}
