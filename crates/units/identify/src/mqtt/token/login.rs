//! `modt/auth/token/login`: `POST /auth/login` with [`Credentials`] → 200 and a
//! [`TokenPair`](modt::protocol::TokenPair); `unauthorized` for a wrong name or password (the
//! same for both), `too_many_requests` when throttled, as the login page.

use std::sync::Arc;

use modt::protocol::{ApiReply, Credentials};
use modt::{Context, HandlerResult, Message};
use tracing::info;

use super::{
    address, busy, decode, login_failed, pair_json, throttled, token_failed, unauthorized,
    CREDENTIALS,
};
use crate::core::Identity;
use crate::login::{self, Checked};
use crate::tokens::issue;

/// Answers one token login.
pub async fn handle(identity: Arc<Identity>, ctx: Context, msg: Message) -> HandlerResult {
    let (req, creds): (_, Credentials) = decode(&msg, CREDENTIALS)?;
    let address = address(&req);
    let checked = login::check(&identity, &creds.username, creds.password, address)
        .await
        .map_err(login_failed)?;
    let user = match checked {
        Checked::Valid(user) => user,
        Checked::Throttled(wait) => return Err(throttled(wait)),
        Checked::Busy => return Err(busy()),
        Checked::Wrong => return Err(unauthorized("wrong user name or password")),
    };
    let pair = issue::for_login(&identity, &user)
        .await
        .map_err(token_failed)?;
    info!(user_id = %user.user_id, "token login");
    ctx.reply(&ApiReply::ok(pair_json(&pair)?)).await?;
    Ok(())
}
