//! Step 1 of every app: answer a login.
//!
//! The identify unit publishes `modt/auth/success` after each login. An app that wants the
//! user answers `modt/app/ready` with the URL to open; the identify unit sends the browser to
//! the first app that answers. An app that serves only some users (by role, say) would
//! check `role` here and stay silent for the others.

use std::sync::Arc;

use modt::protocol::{topics, AppReady, AuthSuccess};
use modt::{Context, HandlerResult, Message};
use tracing::debug;

/// What the handler needs: the app's name and its page's URL.
#[derive(Debug)]
pub struct Handshake {
    /// Sent as `app_name`.
    pub app_name: String,
    /// Sent as `redirect_url`.
    pub redirect_url: String,
}

/// Handles `modt/auth/success`: announces this app as ready for the new session.
pub async fn handle(h: Arc<Handshake>, ctx: Context, msg: Message) -> HandlerResult {
    let login: AuthSuccess = ctx.decode(&msg)?;
    debug!(user_id = %login.user_id, "login announced; answering app/ready");
    let ready = AppReady::new(&h.app_name, &h.redirect_url, login.session_id);
    ctx.client()
        .publish_json(&topics::APP_READY, &ready)
        .await?;
    Ok(())
}
