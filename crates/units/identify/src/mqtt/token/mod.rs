//! The token API over MQTT (docs/protocol.md, "Tokens"): one file per topic, each an
//! [`ApiRequest`] forwarded by the gateway for `POST /auth/…`, answered with an
//! [`ApiReply`](modt::protocol::ApiReply) or an error reply.
//!
//! - [`register`]: `modt/auth/token/register` → 201 and a token pair.
//! - [`login`]: `modt/auth/token/login` → a token pair.
//! - [`refresh`]: `modt/auth/token/refresh` → a new pair; a reused token revokes its family.
//! - [`logout`]: `modt/auth/token/logout` and `modt/auth/token/logout-all` → 204.
//!
//! These payloads hold passwords and tokens. A payload that cannot be read is refused as
//! `unprocessable`, never `bad_request`: the runtime copies `bad_request` payloads to the
//! dead-letter topic, where a password would be on the bus.

pub mod login;
pub mod logout;
pub mod refresh;
pub mod register;

use std::time::Duration;

use modt::protocol::{ApiRequest, ErrorCode, FieldError, TokenPair};
use modt::{HandlerError, Message};
use serde::de::DeserializeOwned;
use tracing::warn;

use crate::login::LoginError;
use crate::tokens::TokenError;

/// The client address throttling uses when the request names none (a request that did not
/// come through the gateway, e.g. from `modt req`).
pub const UNKNOWN_ADDRESS: &str = "unknown";

/// The forwarded request of `msg` and its body as `T`, which has the fields `expected` says
/// (the refusal names them; it never repeats what was sent, which may be a password).
pub(crate) fn decode<T: DeserializeOwned>(
    msg: &Message,
    expected: &'static str,
) -> Result<(ApiRequest, T), HandlerError> {
    let req = decode_request(msg)?;
    let body = req
        .body
        .clone()
        .and_then(|body| serde_json::from_value(body).ok())
        .ok_or_else(|| unreadable("/", &format!("the body must be {expected}")))?;
    Ok((req, body))
}

/// The forwarded request of `msg`, whatever its body.
pub(crate) fn decode_request(msg: &Message) -> Result<ApiRequest, HandlerError> {
    msg.json()
        .map_err(|_| unreadable("", "the payload is not an API request"))
}

/// The JSON a body of [`Credentials`](modt::protocol::Credentials) is.
pub(crate) const CREDENTIALS: &str = r#"{"username": "…", "password": "…"}"#;

/// The JSON a body of [`RefreshRequest`](modt::protocol::RefreshRequest) is.
pub(crate) const REFRESH_REQUEST: &str = r#"{"refresh_token": "…"}"#;

fn unreadable(field: &str, reason: &str) -> HandlerError {
    HandlerError::unprocessable(vec![FieldError::new(field, reason)])
}

/// The address a request's throttling counts against.
pub(crate) fn address(req: &ApiRequest) -> &str {
    req.client_addr.as_deref().unwrap_or(UNKNOWN_ADDRESS)
}

/// The body of a pair, as JSON.
pub(crate) fn pair_json(pair: &TokenPair) -> Result<serde_json::Value, HandlerError> {
    serde_json::to_value(pair)
        .map_err(|_| HandlerError::new(ErrorCode::Internal, "could not encode the token pair"))
}

/// `too_many_requests`, saying when to retry.
pub(crate) fn throttled(wait: Duration) -> HandlerError {
    HandlerError::new(
        ErrorCode::TooManyRequests,
        format!("too many attempts; retry in {} s", wait.as_secs().max(1)),
    )
    .retry_after(wait)
}

/// `unavailable`: every password-hashing slot is taken.
pub(crate) fn busy() -> HandlerError {
    HandlerError::new(
        ErrorCode::Unavailable,
        "too many logins at once; retry in a moment",
    )
}

/// The error reply for a store or hashing failure (logged; the reply says only that).
pub(crate) fn login_failed(e: LoginError) -> HandlerError {
    warn!(error = %e, "a token request failed");
    HandlerError::new(
        ErrorCode::Unavailable,
        "the account store failed; retry later",
    )
}

/// The error reply for a token failure (logged; the reply says only what kind).
pub(crate) fn token_failed(e: TokenError) -> HandlerError {
    warn!(error = %e, "a token could not be issued");
    match e {
        TokenError::NoKey => HandlerError::new(
            ErrorCode::Unavailable,
            "no signing key is published yet; retry in a moment",
        ),
        _ => HandlerError::new(
            ErrorCode::Unavailable,
            "could not issue a token; retry later",
        ),
    }
}

/// `unauthorized` with `message`.
pub(crate) fn unauthorized(message: &str) -> HandlerError {
    HandlerError::new(ErrorCode::Unauthorized, message)
}
