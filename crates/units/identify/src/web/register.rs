//! `GET /register` shows the form; `POST /register` creates an account (role `user`) and
//! sends the browser to the login page. Registrations are limited per client address
//! (`ThrottleConfig::registrations_per_address`), since each costs a password hash.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use modt_web::nav::with_next;
use modt_web::pages::SeeOther;
use modt_web::{csrf, CsrfToken, Lang, Page, WebError};
use serde::Deserialize;
use tracing::warn;

use super::messages::CATALOG;
use super::WebState;
use crate::accounts::RuleError;
use crate::login::{self, Registered};

/// The registration form's fields (`username` and `password` as in the original).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RegisterForm {
    /// The wished user name.
    pub username: String,
    /// The password.
    pub password: String,
    /// The password again; checked when sent (old scripts send only `password`).
    pub password_confirm: Option<String>,
    /// The CSRF token.
    pub csrf_token: String,
}

/// Query of the registration page.
#[derive(Debug, Default, Deserialize)]
pub struct RegisterQuery {
    /// `en` or `ja`.
    pub lang: Option<String>,
    /// Where to go after logging in with the new account (checked: [`WebState::next`]).
    pub next: Option<String>,
}

/// `GET /register`.
pub async fn show(
    State(state): State<WebState>,
    lang: Lang,
    Query(q): Query<RegisterQuery>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let next = state.next(q.next.as_deref());
    let (error, status) = if state.identity.config.registration {
        (None, StatusCode::OK)
    } else {
        (
            Some(CATALOG.text(lang, "registration_closed").to_string()),
            StatusCode::FORBIDDEN,
        )
    };
    form(&state, &headers, lang, ("", next.as_deref()), error, status)
}

/// The form, with the name typed so far and where the login goes afterwards.
fn form(
    state: &WebState,
    headers: &HeaderMap,
    lang: Lang,
    (username, next): (&str, Option<&str>),
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let csrf = CsrfToken::for_request(headers)?;
    let html = state.render(
        "register.html",
        lang,
        "register_title",
        None,
        minijinja::context! {
            csrf => csrf.value(),
            username => username,
            error => error,
            action => with_next("/register", next),
            login => with_next("/login", next),
            registration => state.identity.config.registration,
        },
    )?;
    Ok(Page::new(html)
        .status(status)
        .cookie(csrf.cookie(&state.scope))
        .into_response())
}

fn rule_message(lang: Lang, e: RuleError) -> String {
    let key = match e {
        RuleError::UsernameLength | RuleError::UsernameCharacters => "username_rules",
        RuleError::PasswordTooShort => "password_short",
        RuleError::PasswordTooLong => "password_long",
        RuleError::PasswordMismatch => "password_mismatch",
    };
    CATALOG.text(lang, key).to_string()
}

/// `POST /register`.
pub async fn submit(
    State(state): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    lang: Lang,
    Query(q): Query<RegisterQuery>,
    headers: HeaderMap,
    Form(f): Form<RegisterForm>,
) -> Result<Response, WebError> {
    let next = state.next(q.next.as_deref());
    let typed = (f.username.as_str(), next.as_deref());
    let fail = |msg: String, status| form(&state, &headers, lang, typed, Some(msg), status);
    if let Err(e) = csrf::verify(&headers, &f.csrf_token) {
        warn!(reason = %e, "registration form refused");
        return fail(
            CATALOG.text(lang, "csrf_failed").to_string(),
            StatusCode::FORBIDDEN,
        );
    }
    if !state.identity.config.registration {
        return fail(
            CATALOG.text(lang, "registration_closed").to_string(),
            StatusCode::FORBIDDEN,
        );
    }
    if matches!(&f.password_confirm, Some(c) if *c != f.password) {
        return fail(
            rule_message(lang, RuleError::PasswordMismatch),
            StatusCode::BAD_REQUEST,
        );
    }
    let address = state.client_address(peer, &headers);
    let registered = login::register(&state.identity, &f.username, f.password.clone(), &address)
        .await
        .map_err(|e| WebError::Internal(e.to_string()))?;
    match registered {
        Registered::Created(_) => {
            let login = with_next("/login?registered=1", next.as_deref());
            Ok(SeeOther::to(login).into_response())
        }
        Registered::Closed => fail(
            CATALOG.text(lang, "registration_closed").to_string(),
            StatusCode::FORBIDDEN,
        ),
        Registered::Rule(_, e) => fail(rule_message(lang, e), StatusCode::BAD_REQUEST),
        Registered::Throttled(wait) => {
            let msg = super::login::wait_message(lang, "register_throttled", wait);
            fail(msg, StatusCode::TOO_MANY_REQUESTS)
        }
        Registered::Busy => {
            let msg = CATALOG.text(lang, "busy").to_string();
            fail(msg, StatusCode::SERVICE_UNAVAILABLE).map(super::login::retry_after_a_moment)
        }
        Registered::Taken => fail(
            CATALOG.text(lang, "taken").to_string(),
            StatusCode::CONFLICT,
        ),
    }
}
