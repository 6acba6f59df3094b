//! The echo unit: answers `modt/echo` with the payload it got.
//!
//! A correlated request (`reply_to`) gets its payload back privately with `request_id`
//! echoed; a legacy one is answered on `modt/echo/reply`. Used by tests and `modt bench rtt`.

use modt::protocol::topics;
use modt::unit::{BuildError, Setup};
use modt::{Context, HandlerResult, Message, Unit};

/// The unit's name and default id.
pub const NAME: &str = "echo";

/// What `modt unit echo` says it is.
pub const ABOUT: &str = "Replies to `modt/echo` with its payload.";

/// The echo unit's flags: it has none of its own.
#[derive(Debug, Clone, Default, clap::Args)]
#[group(skip)]
pub struct Args {}

/// Builds the echo unit for a program (`modt up`, `modt unit echo`, or your own `main`).
pub async fn build(_args: Args, setup: &Setup) -> Result<Unit, BuildError> {
    Ok(setup.apply(unit()))
}

/// Builds the echo unit.
pub fn unit() -> Unit {
    Unit::new(NAME, "echo", env!("CARGO_PKG_VERSION"))
        .route(topics::ECHO.to_filter(), echo)
        .publishes([topics::ECHO_REPLY])
}

/// Decodes (so bad input is refused like everywhere else) and sends the payload back,
/// without the request's own correlation fields (the reply gets its `request_id` anew).
async fn echo(ctx: Context, msg: Message) -> HandlerResult {
    let mut body: serde_json::Map<String, serde_json::Value> = ctx.decode(&msg)?;
    body.remove("reply_to");
    body.remove("request_id");
    ctx.answer(&topics::ECHO_REPLY, &body).await
}
