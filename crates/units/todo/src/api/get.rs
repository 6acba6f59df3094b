//! `modt/todo/get` (`GET /todos/{id}`): one todo with its `etag`.

use std::sync::Arc;

use modt::protocol::{ApiReply, ApiRequest};
use modt::{Context, HandlerResult, Message};

use super::{body, caller, not_found, scope, store_error, todo_id, with_etag, Shared};

pub(crate) async fn handle(h: Arc<Shared>, ctx: Context, msg: Message) -> HandlerResult {
    let req: ApiRequest = ctx.decode(&msg)?;
    let caller = caller(&req)?;
    let id = todo_id(&req)?;
    let found = h
        .store
        .get(scope(caller).as_deref(), &id)
        .await
        .map_err(store_error)?
        .ok_or_else(not_found)?;
    let reply = with_etag(ApiReply::ok(body(&found.todo)?), &found.todo);
    ctx.reply(&reply).await?;
    Ok(())
}
