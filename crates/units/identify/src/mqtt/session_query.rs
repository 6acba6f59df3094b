//! `modt/session/query` → `modt/session/info`: "who is this session?"
//!
//! A legacy query is answered with the original's broadcast on `modt/session/info`; a
//! correlated one privately, with the user's login name added. Resolving a session counts as
//! using it (its idle timer restarts). The session id is never logged.

use std::sync::Arc;

use modt::protocol::{topics, ErrorCode, SessionInfo, SessionQuery};
use modt::{Context, HandlerError, HandlerResult, Message};

use crate::core::Identity;
use crate::sessions::{self, SessionKey};

/// Answers one session query.
pub async fn handle(identity: Arc<Identity>, ctx: Context, msg: Message) -> HandlerResult {
    let query: SessionQuery = ctx.decode(&msg)?;
    let user = if sessions::plausible(&query.session_id) {
        identity
            .session_user(&SessionKey::of(&query.session_id))
            .await
            .map_err(|e| HandlerError::new(ErrorCode::Unavailable, e.to_string()))?
    } else {
        None
    };
    let private = ctx.request().reply_to.is_some();
    let info = match user {
        Some(user) => {
            let mut info = SessionInfo::valid(query.session_id, user.user_id, user.role.as_str());
            if private {
                info.username = Some(user.username);
            }
            info
        }
        None => SessionInfo::invalid(query.session_id),
    };
    ctx.answer(&topics::SESSION_INFO, &info).await
}
