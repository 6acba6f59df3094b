//! `POST /set`, `POST /delete`, `POST /clear`: each checks the CSRF token and the visitor's
//! right to the user's keys, waits for the state unit's acknowledgement, then sends the
//! browser back to the table (303), which now shows the change.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use modt_web::pages::SeeOther;
use modt_web::{csrf, CsrfToken, Lang, Page, SessionUser, WebError};
use serde::Deserialize;
use tracing::{info, warn};

use super::keys::{self, Form as EditorForm};
use super::{Access, WebState};
use crate::messages::CATALOG;
use crate::state::StateError;
use crate::value;

/// The editor's fields.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SetForm {
    /// The CSRF token.
    pub csrf_token: String,
    /// Whose key.
    pub user: String,
    /// The key.
    pub key: String,
    /// The editor's text.
    pub value: String,
    /// Store the text verbatim as a string.
    pub as_text: Option<String>,
}

/// A delete's fields.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DeleteForm {
    /// The CSRF token.
    pub csrf_token: String,
    /// Whose key.
    pub user: String,
    /// The key.
    pub key: String,
}

/// A clear's fields; without `confirm=yes` it only asks.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ClearForm {
    /// The CSRF token.
    pub csrf_token: String,
    /// Whose keys.
    pub user: String,
    /// `yes` once confirmed.
    pub confirm: Option<String>,
}

fn back_to(target: &str, user: &SessionUser, flag: &str) -> String {
    let mut url = String::from("/?");
    if target != user.user_id {
        url.push_str(&format!("user={}&", encode(target)));
    }
    url.push_str(flag);
    url
}

/// Percent-encodes a query value.
fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Checks CSRF and access; `Err(page)` is the page to show instead.
async fn guard(
    s: &WebState,
    headers: &HeaderMap,
    lang: Lang,
    token: &str,
    user: &str,
) -> Result<Result<(SessionUser, String), Response>, WebError> {
    if let Err(e) = csrf::verify(headers, token) {
        warn!(reason = %e, "viewer form refused");
        let page = s.problem(
            lang,
            StatusCode::FORBIDDEN,
            "forbidden_title",
            "csrf_failed",
            None,
            None,
        )?;
        return Ok(Err(page));
    }
    Ok(match s.access(headers, lang, Some(user)).await? {
        Access::Granted(u, t) => Ok((u, t)),
        Access::Denied(page) => Err(page),
    })
}

/// `POST /set`.
pub async fn set(
    State(s): State<WebState>,
    headers: HeaderMap,
    Form(f): Form<SetForm>,
) -> Result<Response, WebError> {
    let lang = Lang::choose(&headers, None);
    let (user, target) = match guard(&s, &headers, lang, &f.csrf_token, &f.user).await? {
        Ok(ok) => ok,
        Err(page) => return Ok(page),
    };
    let as_text = f.as_text.is_some();
    let refuse = |error: String| EditorForm {
        key: f.key.clone(),
        value: f.value.clone(),
        as_text,
        error: Some(error),
    };
    if f.key.is_empty() {
        let form = refuse(CATALOG.text(lang, "key_required").to_string());
        return keys::page(&s, &headers, lang, &user, &target, None, form, None).await;
    }
    let parsed = match value::parse(&f.value, as_text) {
        Ok(v) => v,
        Err(e) => {
            return keys::page(
                &s,
                &headers,
                lang,
                &user,
                &target,
                None,
                refuse(e.to_string()),
                None,
            )
            .await
        }
    };
    match s.state.set(&target, &f.key, parsed).await {
        Ok(version) => {
            info!(user_id = %target, key = %f.key, ?version, "key saved");
            Ok(SeeOther::to(back_to(
                &target,
                &user,
                &format!("saved={}", encode(&f.key)),
            ))
            .into_response())
        }
        Err(StateError::Unavailable(_)) => s.unavailable(lang, &user),
        Err(StateError::Refused { message, .. }) => {
            keys::page(
                &s,
                &headers,
                lang,
                &user,
                &target,
                None,
                refuse(message),
                None,
            )
            .await
        }
        Err(e) => Err(WebError::Internal(e.to_string())),
    }
}

/// `POST /delete`.
pub async fn delete(
    State(s): State<WebState>,
    headers: HeaderMap,
    Form(f): Form<DeleteForm>,
) -> Result<Response, WebError> {
    let lang = Lang::choose(&headers, None);
    let (user, target) = match guard(&s, &headers, lang, &f.csrf_token, &f.user).await? {
        Ok(ok) => ok,
        Err(page) => return Ok(page),
    };
    match s.state.delete(&target, &f.key).await {
        Ok(_) => Ok(SeeOther::to(back_to(
            &target,
            &user,
            &format!("deleted={}", encode(&f.key)),
        ))
        .into_response()),
        Err(StateError::Unavailable(_)) => s.unavailable(lang, &user),
        Err(StateError::Refused { message, .. }) => {
            let form = EditorForm {
                error: Some(message),
                ..EditorForm::default()
            };
            keys::page(&s, &headers, lang, &user, &target, None, form, None).await
        }
        Err(e) => Err(WebError::Internal(e.to_string())),
    }
}

/// `POST /clear`: asks first, then deletes every key.
pub async fn clear(
    State(s): State<WebState>,
    headers: HeaderMap,
    Form(f): Form<ClearForm>,
) -> Result<Response, WebError> {
    let lang = Lang::choose(&headers, None);
    let (user, target) = match guard(&s, &headers, lang, &f.csrf_token, &f.user).await? {
        Ok(ok) => ok,
        Err(page) => return Ok(page),
    };
    if f.confirm.as_deref() != Some("yes") {
        let csrf = CsrfToken::for_request(&headers)?;
        let html = s.render(
            "confirm_clear.html",
            lang,
            CATALOG.text(lang, "clear_title"),
            Some(&user),
            minijinja::context! { target => target, csrf => csrf.value() },
        )?;
        return Ok(Page::new(html)
            .cookie(csrf.cookie(&s.scope))
            .into_response());
    }
    match s.state.clear(&target).await {
        Ok(n) => {
            info!(user_id = %target, removed = n, "keys cleared");
            Ok(SeeOther::to(back_to(&target, &user, "cleared=1")).into_response())
        }
        Err(StateError::Unavailable(_)) => s.unavailable(lang, &user),
        Err(e) => Err(WebError::Internal(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn query_values_are_escaped() {
        assert_eq!(super::encode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
    }
}
