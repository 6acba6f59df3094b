//! `modt/todo/create` (`POST /todos`): a new todo of the caller's; 201 with it, its `etag`
//! and `location`. A retried request (same retry key, or same `Idempotency-Key`) gets the
//! first answer and creates nothing.

use std::sync::Arc;

use modt::protocol::{ApiReply, ApiRequest, TodoOp};
use modt::{Context, HandlerError, HandlerResult, Message};

use super::{announce, body, caller, request_keys, store_error, with_etag, Shared};
use crate::rules;
use crate::store::{now_ms, NewTodo, Write, WriteOp};

pub(crate) async fn handle(h: Arc<Shared>, ctx: Context, msg: Message) -> HandlerResult {
    let req: ApiRequest = ctx.decode(&msg)?;
    let caller = caller(&req)?;
    let draft = rules::draft(req.body.as_ref()).map_err(HandlerError::unprocessable)?;
    let keys = request_keys(&ctx, &req, caller)?;
    let now = now_ms();
    let new = NewTodo {
        id: uuid::Uuid::new_v4().to_string(),
        owner: caller.user_id.clone(),
        title: draft.title,
        notes: draft.notes,
        done: draft.done,
        now_ms: now,
    };
    let write = Write {
        op: WriteOp::Create(new),
        keys,
        now_ms: now,
    };
    let applied = h.store.write(write).await.map_err(store_error)?;
    let todo = applied.outcome.todo();
    let reply = with_etag(ApiReply::created(body(todo)?), todo)
        .header("location", format!("/todos/{}", todo.id));
    ctx.reply(&reply).await?;
    if !applied.replayed {
        announce(&ctx, TodoOp::Created, todo).await;
    }
    Ok(())
}
