//! `modt/auth/token/register`: `POST /auth/register` with [`Credentials`] → 201 and a
//! [`TokenPair`](modt::protocol::TokenPair) for the new account (role `user`). Refusals:
//! `unprocessable` with the field and its rule, `conflict` for a taken name, `forbidden` when
//! registration is closed, `too_many_requests` when throttled, as the registration page.

use std::sync::Arc;

use modt::protocol::{ApiReply, Credentials, ErrorCode, FieldError};
use modt::{Context, HandlerError, HandlerResult, Message};

use super::{address, busy, decode, login_failed, pair_json, throttled, token_failed, CREDENTIALS};
use crate::core::Identity;
use crate::login::{self, Registered};
use crate::tokens::issue;

/// Answers one registration.
pub async fn handle(identity: Arc<Identity>, ctx: Context, msg: Message) -> HandlerResult {
    let (req, creds): (_, Credentials) = decode(&msg, CREDENTIALS)?;
    let address = address(&req);
    let registered = login::register(&identity, &creds.username, creds.password, address)
        .await
        .map_err(login_failed)?;
    let user = match registered {
        Registered::Created(user) => user,
        Registered::Rule(field, rule) => {
            let details = vec![FieldError::new(format!("/{field}"), rule.to_string())];
            return Err(HandlerError::unprocessable(details));
        }
        Registered::Taken => {
            return Err(HandlerError::new(
                ErrorCode::Conflict,
                "that user name is taken",
            ))
        }
        Registered::Closed => {
            return Err(HandlerError::new(
                ErrorCode::Forbidden,
                "registration is closed",
            ))
        }
        Registered::Throttled(wait) => return Err(throttled(wait)),
        Registered::Busy => return Err(busy()),
    };
    let pair = issue::for_login(&identity, &user)
        .await
        .map_err(token_failed)?;
    ctx.reply(&ApiReply::created(pair_json(&pair)?)).await?;
    Ok(())
}
