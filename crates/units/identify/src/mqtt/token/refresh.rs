//! `modt/auth/token/refresh`: `POST /auth/refresh` with a [`RefreshRequest`] → 200 and a new
//! [`TokenPair`](modt::protocol::TokenPair); the token presented is used up. Presented again
//! within the reuse grace ([`REFRESH_REUSE_GRACE`](crate::tokens::REFRESH_REUSE_GRACE): two
//! tabs refreshing at once) it gets another pair of its family. Later, a token used before
//! revokes its whole family (someone holds a copy: RFC 9700 §4.14.2); it, and an unknown,
//! expired or revoked token, get `unauthorized`.

use std::sync::Arc;

use modt::protocol::{ApiReply, RefreshRequest};
use modt::{Context, HandlerResult, Message};

use super::{decode, pair_json, token_failed, unauthorized, REFRESH_REQUEST};
use crate::core::Identity;
use crate::tokens::issue::{self, Refreshed};

/// Answers one refresh.
pub async fn handle(identity: Arc<Identity>, ctx: Context, msg: Message) -> HandlerResult {
    let (_, body): (_, RefreshRequest) = decode(&msg, REFRESH_REQUEST)?;
    let refreshed = issue::refresh(&identity, &body.refresh_token)
        .await
        .map_err(token_failed)?;
    match refreshed {
        Refreshed::Pair(pair) => {
            ctx.reply(&ApiReply::ok(pair_json(&pair)?)).await?;
            Ok(())
        }
        Refreshed::Reused => Err(unauthorized(
            "this refresh token was used before; every token of its login is revoked",
        )),
        Refreshed::Invalid => Err(unauthorized("the refresh token is not valid")),
    }
}
