//! `modt/auth/token/logout`: `POST /auth/logout` with a [`RefreshRequest`] → 204; the
//! token's family (its login) is revoked. Any token gets 204, so the answer says nothing
//! about it.
//!
//! `modt/auth/token/logout-all`: `POST /auth/logout-all` from a verified caller → 204; every
//! refresh token of the caller is revoked. Access tokens already issued stay valid until
//! they expire.

use std::sync::Arc;

use modt::protocol::{ApiReply, RefreshRequest};
use modt::{Context, HandlerResult, Message};
use tracing::info;

use super::{decode, decode_request, token_failed, unauthorized, REFRESH_REQUEST};
use crate::core::Identity;
use crate::tokens::issue;

/// Answers one logout.
pub async fn handle(identity: Arc<Identity>, ctx: Context, msg: Message) -> HandlerResult {
    let (_, body): (_, RefreshRequest) = decode(&msg, REFRESH_REQUEST)?;
    issue::logout(&identity, &body.refresh_token)
        .await
        .map_err(token_failed)?;
    ctx.reply(&ApiReply::no_content()).await?;
    Ok(())
}

/// Answers one logout everywhere.
pub async fn handle_all(identity: Arc<Identity>, ctx: Context, msg: Message) -> HandlerResult {
    let req = decode_request(&msg)?;
    let Some(caller) = req.caller else {
        return Err(unauthorized(
            "logging out everywhere needs a signed-in caller",
        ));
    };
    let n = issue::logout_all(&identity, &caller.user_id)
        .await
        .map_err(token_failed)?;
    info!(user_id = %caller.user_id, revoked = n, "logout everywhere");
    ctx.reply(&ApiReply::no_content()).await?;
    Ok(())
}
