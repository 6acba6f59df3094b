//! `GET /login` shows the form; `POST /login` checks it, opens a session, announces the login
//! on `modt/auth/success` and sends the browser to the waiting page.
//!
//! [`attempt`] is the login itself, shared with `POST /api/login`: the check of
//! [`crate::login::check`] (throttle first, then the password), then a session.

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use modt::protocol::{topics, AuthSuccess};
use modt_web::nav::with_next;
use modt_web::pages::SeeOther;
use modt_web::{csrf, CsrfToken, Lang, Page, WebError};
use serde::Deserialize;
use tracing::{info, warn};

use super::messages::CATALOG;
use super::WebState;
use crate::login::{self, Checked};
use crate::sessions::{new_session_id, SessionKey};
use crate::store::{NewSession, User};

/// Query flags the login page understands.
#[derive(Debug, Default, Deserialize)]
pub struct LoginQuery {
    /// `en` or `ja`.
    pub lang: Option<String>,
    /// Just registered.
    pub registered: Option<String>,
    /// Just logged out.
    pub bye: Option<String>,
    /// Sent here by an app because the session ended.
    pub expired: Option<String>,
    /// Where to go after logging in (checked: [`WebState::next`]).
    pub next: Option<String>,
}

/// The login form's fields (the original's names, plus the CSRF token).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LoginForm {
    /// The user name.
    pub username: String,
    /// The password.
    pub password: String,
    /// The CSRF token.
    pub csrf_token: String,
}

/// `GET /login`.
pub async fn show(
    State(state): State<WebState>,
    lang: Lang,
    Query(q): Query<LoginQuery>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let next = state.next(q.next.as_deref());
    if state.session(&headers).await?.is_some() {
        return Ok(SeeOther::to(next.unwrap_or_else(|| "/".into())).into_response());
    }
    let notice = if q.registered.is_some() {
        Some("registered")
    } else if q.bye.is_some() {
        Some("logged_out")
    } else if q.expired.is_some() {
        Some("expired")
    } else {
        None
    };
    let notice = notice.map(|k| CATALOG.text(lang, k));
    let shown = Shown {
        username: "",
        notice,
        error: None,
        next: next.as_deref(),
    };
    form(&state, &headers, lang, shown, StatusCode::OK)
}

/// What the login form shows besides its fields.
struct Shown<'a> {
    username: &'a str,
    notice: Option<&'a str>,
    error: Option<String>,
    /// Where the login goes afterwards (already checked).
    next: Option<&'a str>,
}

/// Renders the login form.
fn form(
    state: &WebState,
    headers: &HeaderMap,
    lang: Lang,
    shown: Shown<'_>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let csrf = CsrfToken::for_request(headers)?;
    let html = state.render(
        "login.html",
        lang,
        "login_title",
        None,
        minijinja::context! {
            csrf => csrf.value(),
            username => shown.username,
            notice => shown.notice,
            error => shown.error,
            action => with_next("/login", shown.next),
            register => with_next("/register", shown.next),
            registration => state.identity.config.registration,
        },
    )?;
    Ok(Page::new(html)
        .status(status)
        .cookie(csrf.cookie(&state.scope))
        .into_response())
}

/// `POST /login`.
pub async fn submit(
    State(state): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    lang: Lang,
    Query(q): Query<LoginQuery>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Result<Response, WebError> {
    let next = state.next(q.next.as_deref());
    let refuse = |msg: String, status| {
        let shown = Shown {
            username: &f.username,
            notice: None,
            error: Some(msg),
            next: next.as_deref(),
        };
        form(&state, &headers, lang, shown, status)
    };
    if let Err(e) = csrf::verify(&headers, &f.csrf_token) {
        warn!(reason = %e, "login form refused");
        let msg = CATALOG.text(lang, "csrf_failed").to_string();
        return refuse(msg, StatusCode::FORBIDDEN);
    }
    let address = state.client_address(peer, &headers);
    match attempt(&state, &f.username, f.password, &address).await? {
        Outcome::LoggedIn(login) => Ok(SeeOther::to(with_next("/waiting", next.as_deref()))
            .cookie(
                state
                    .scope
                    .session(login.session_id, state.identity.config.session_max_age),
            )
            .into_response()),
        Outcome::Wrong => refuse(
            CATALOG.text(lang, "wrong_credentials").to_string(),
            StatusCode::UNAUTHORIZED,
        ),
        Outcome::Throttled(wait) => {
            refuse(throttled_message(lang, wait), StatusCode::TOO_MANY_REQUESTS)
        }
        Outcome::Busy => refuse(
            CATALOG.text(lang, "busy").to_string(),
            StatusCode::SERVICE_UNAVAILABLE,
        )
        .map(retry_after_a_moment),
    }
}

/// Adds `Retry-After: 1` (a password-hashing slot frees within a second or two).
pub(crate) fn retry_after_a_moment(mut res: Response) -> Response {
    res.headers_mut().insert(
        axum::http::header::RETRY_AFTER,
        axum::http::HeaderValue::from_static("1"),
    );
    res
}

/// "Try again in N minutes", rounded up.
pub(crate) fn throttled_message(lang: Lang, wait: Duration) -> String {
    wait_message(lang, "throttled", wait)
}

/// The catalog text `key` with `{n}` = the minutes to wait, rounded up.
/// `{n}` is the number of whole minutes (rounded up, at least 1); `{minutes}` the same in
/// words with its English plural ("1 minute", "15 minutes").
pub(crate) fn wait_message(lang: Lang, key: &'static str, wait: Duration) -> String {
    let minutes = wait.as_secs().div_ceil(60).max(1);
    let words = match minutes {
        1 => "1 minute".to_string(),
        n => format!("{n} minutes"),
    };
    CATALOG
        .text(lang, key)
        .replace("{minutes}", &words)
        .replace("{n}", &minutes.to_string())
}

/// A successful login.
#[derive(Debug)]
pub(crate) struct Login {
    /// The new session's id (goes only into the cookie or the API's JSON body).
    pub(crate) session_id: String,
    /// Who logged in.
    pub(crate) user: User,
    /// Absolute expiry (Unix seconds).
    pub(crate) expires_at: i64,
}

/// How a login attempt ended.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// Logged in.
    LoggedIn(Login),
    /// Unknown name or wrong password (never said which).
    Wrong,
    /// Too many failures: retry after this long.
    Throttled(Duration),
    /// Every password-hashing slot is taken: retry in a moment.
    Busy,
}

/// Checks a user name and password ([`crate::login::check`]); on success opens a session,
/// starts its handshake and announces it on `modt/auth/success`.
pub(crate) async fn attempt(
    state: &WebState,
    username: &str,
    password: String,
    address: &str,
) -> Result<Outcome, WebError> {
    let identity = &state.identity;
    let checked = login::check(identity, username, password, address)
        .await
        .map_err(|e| WebError::Internal(e.to_string()))?;
    let user = match checked {
        Checked::Valid(user) => user,
        Checked::Wrong => return Ok(Outcome::Wrong),
        Checked::Throttled(wait) => return Ok(Outcome::Throttled(wait)),
        Checked::Busy => return Ok(Outcome::Busy),
    };

    let session_id = new_session_id()?;
    let key = SessionKey::of(&session_id);
    let now = identity.now();
    let max_age = i64::try_from(identity.config.session_max_age.as_secs()).unwrap_or(i64::MAX);
    let expires_at = now.saturating_add(max_age);
    identity
        .store
        .create_session(NewSession {
            key: key.clone(),
            user_id: user.user_id.clone(),
            now,
            expires_at,
        })
        .await
        .map_err(|e| WebError::Internal(e.to_string()))?;
    announce(state, &user, identity.handshakes.begin(key).await).await;
    info!(user_id = %user.user_id, "login");
    Ok(Outcome::LoggedIn(Login {
        session_id,
        user,
        expires_at,
    }))
}

/// Publishes `modt/auth/success` for a login, with its handshake id where the original put
/// the session id (every app reads this topic; the session id stays with the browser). A
/// failure is logged, not fatal: the waiting page then falls back to the list of apps.
pub(crate) async fn announce(state: &WebState, user: &User, handshake_id: Option<String>) {
    let Some(handshake_id) = handshake_id else {
        warn!("no handshake id (random source failed); the login is not announced");
        return;
    };
    let msg = AuthSuccess::new(user.user_id.clone(), handshake_id, user.role.as_str());
    if let Err(e) = state.client.publish_json(&topics::AUTH_SUCCESS, &msg).await {
        warn!(error = %e, "could not announce the login on modt/auth/success");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_are_said_in_whole_minutes_with_the_right_plural() {
        let en = |secs| wait_message(Lang::En, "throttled", Duration::from_secs(secs));
        assert!(en(30).ends_with("try again in 1 minute."), "{}", en(30));
        assert!(en(60).ends_with("try again in 1 minute."), "{}", en(60));
        assert!(en(61).ends_with("try again in 2 minutes."), "{}", en(61));
        assert!(en(900).ends_with("try again in 15 minutes."), "{}", en(900));
        let ja = wait_message(Lang::Ja, "register_throttled", Duration::from_secs(900));
        assert!(ja.contains("15分後"), "{ja}");
        assert!(!ja.contains('{'), "{ja}");
    }
}
