//! `modt/app/ready`: an app accepts a login; the first one for a session is where that
//! login's browser goes.
//!
//! Its `session_id` is the one-time handshake id of `modt/auth/success` (crate::handshake),
//! never a session id. Only `http`/`https` URLs are accepted, so an announcement cannot send a browser to a
//! `javascript:` or `data:` URL. Announcements for sessions this unit is not waiting on
//! (another identify instance's, or stale) are ignored.

use std::sync::Arc;

use modt::protocol::AppReady;
use modt::{Context, HandlerError, HandlerResult, Message};
use tracing::debug;

use crate::core::Identity;
use crate::handshake::ReadyApp;

/// Longest redirect URL accepted.
pub const MAX_REDIRECT_URL: usize = 2048;
/// Longest app name accepted.
pub const MAX_APP_NAME: usize = 128;

/// Records one app's answer.
pub async fn handle(identity: Arc<Identity>, ctx: Context, msg: Message) -> HandlerResult {
    let ready: AppReady = ctx.decode(&msg)?;
    check_redirect_url(&ready.redirect_url)?;
    if ready.app_name.len() > MAX_APP_NAME {
        return Err(HandlerError::bad_request(format!(
            "app_name is longer than {MAX_APP_NAME} bytes"
        )));
    }
    let app = ReadyApp {
        app_name: ready.app_name.clone(),
        redirect_url: ready.redirect_url,
    };
    let accepted = identity.handshakes.ready(&ready.session_id, app).await;
    debug!(app = %ready.app_name, accepted, "app ready");
    Ok(())
}

/// An absolute `http` or `https` URL of bounded length.
pub fn check_redirect_url(raw: &str) -> Result<(), HandlerError> {
    if raw.len() > MAX_REDIRECT_URL {
        return Err(HandlerError::bad_request(format!(
            "redirect_url is longer than {MAX_REDIRECT_URL} bytes"
        )));
    }
    match url::Url::parse(raw) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => Ok(()),
        _ => Err(HandlerError::bad_request(
            "redirect_url must be an absolute http or https URL",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_urls() {
        assert!(check_redirect_url("http://127.0.0.1:8081/").is_ok());
        assert!(check_redirect_url("https://app.example.org/x?y=1").is_ok());
        for bad in [
            "javascript:alert(1)",
            "/relative",
            "data:text/html,x",
            "ftp://x/",
            "",
        ] {
            assert!(check_redirect_url(bad).is_err(), "{bad}");
        }
        assert!(check_redirect_url(&format!("http://x/{}", "a".repeat(MAX_REDIRECT_URL))).is_err());
    }
}
