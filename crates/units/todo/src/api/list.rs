//! `modt/todo/list` (`GET /todos`): a page of the caller's todos (an administrator's
//! `?owner=` names another user), filtered by `done`, in `sort` order, after `cursor`.

use std::sync::Arc;

use modt::protocol::{ApiReply, ApiRequest, ErrorCode, TodoPage};
use modt::{Context, HandlerError, HandlerResult, Message};

use super::{caller, store_error, Shared};
use crate::store::ListSpec;
use crate::{cursor, rules};

pub(crate) async fn handle(h: Arc<Shared>, ctx: Context, msg: Message) -> HandlerResult {
    let req: ApiRequest = ctx.decode(&msg)?;
    let caller = caller(&req)?;
    let q = rules::list_query(&req.query).map_err(HandlerError::unprocessable)?;
    let owner = match q.owner {
        Some(other) if other != caller.user_id && !caller.is_admin() => {
            return Err(HandlerError::new(
                ErrorCode::Forbidden,
                "only administrators list other users' todos",
            ))
        }
        Some(owner) => owner,
        None => caller.user_id.clone(),
    };
    // One more than asked: whether there is a next page.
    let spec = ListSpec {
        owner,
        done: q.done,
        sort: q.sort,
        after: q.after,
        limit: q.limit + 1,
    };
    let mut rows = h.store.list(&spec).await.map_err(store_error)?;
    let next_cursor = if rows.len() > q.limit {
        rows.truncate(q.limit);
        rows.last().map(|last| {
            let at = crate::store::Position {
                key: q.sort.key_of(last),
                id: last.todo.id.clone(),
            };
            cursor::encode(q.sort, &at)
        })
    } else {
        None
    };
    let page = TodoPage {
        items: rows.into_iter().map(|s| s.todo).collect(),
        next_cursor,
    };
    let body = serde_json::to_value(&page)
        .map_err(|e| HandlerError::new(ErrorCode::Internal, e.to_string()))?;
    ctx.reply(&ApiReply::ok(body)).await?;
    Ok(())
}
