//! `POST /set`, `POST /delete`, `POST /clear`: each checks the CSRF token and the visitor's
//! right to the user's keys, waits for the state unit's acknowledgement, then sends the
//! browser back to the table (303), which now shows the change.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use modt_web::pages::SeeOther;
use modt_web::{csrf, CsrfToken, Lang, Page, RequireUser, SessionUser, WebError};
use serde::Deserialize;
use tracing::{info, warn};

use super::keys::{self, Form as EditorForm};
use modt_web::unit_pages::Problem;

use super::WebState;
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
    /// The key the editor was opened on (empty for a new key).
    pub opened_key: String,
    /// That key's version when the editor was opened: the save applies only if it is
    /// still that (`if_version`).
    pub opened_version: Option<u64>,
}

impl SetForm {
    /// The `if_version` of this save: the version the editor was opened with, if the key
    /// is still the one it was opened on (a renamed key is a new write).
    fn if_version(&self) -> Option<u64> {
        self.opened_version.filter(|_| self.opened_key == self.key)
    }
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
    /// The version the table showed: the delete applies only if it is still that.
    pub version: Option<u64>,
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

/// One checked form submission: who sent it, and whose keys it changes.
struct Submission<'a> {
    s: &'a WebState,
    headers: &'a HeaderMap,
    lang: Lang,
    user: SessionUser,
    target: String,
}

impl<'a> Submission<'a> {
    /// Checks the CSRF token and `user`'s right to the keys of `whose`; `Err(page)` is the
    /// page to show instead.
    fn check(
        s: &'a WebState,
        headers: &'a HeaderMap,
        lang: Lang,
        user: SessionUser,
        token: &str,
        whose: &str,
    ) -> Result<Result<Submission<'a>, Response>, WebError> {
        if let Err(e) = csrf::verify(headers, token) {
            warn!(reason = %e, "viewer form refused");
            let problem = Problem {
                status: StatusCode::FORBIDDEN,
                heading: "forbidden_title",
                lead: "csrf_failed",
                login_url: None,
                user: None,
            };
            return Ok(Err(s.pages.problem(lang, problem)?));
        }
        Ok(match s.target(&user, Some(whose)) {
            Some(target) => Ok(Submission {
                s,
                headers,
                lang,
                user,
                target,
            }),
            None => Err(s.forbidden(lang, &user)),
        })
    }

    /// Back to the table, with a notice flag.
    fn done(&self, flag: &str) -> Response {
        SeeOther::to(back_to(&self.target, &self.user, flag)).into_response()
    }

    /// The keys page again, with the editor as it was sent and its error.
    async fn editor(&self, form: EditorForm) -> Result<Response, WebError> {
        let (s, h, lang) = (self.s, self.headers, self.lang);
        keys::page(s, h, lang, &self.user, &self.target, None, form, None).await
    }

    /// The page for a state call that failed.
    async fn failed(&self, e: StateError, form: EditorForm) -> Result<Response, WebError> {
        match e {
            e if e.is_conflict() => self.conflict(form).await,
            StateError::Unavailable(_) => self.s.unavailable(self.lang, &self.user),
            StateError::Refused { message, .. } => {
                self.editor(EditorForm {
                    error: Some(message),
                    ..form
                })
                .await
            }
            other => Err(WebError::Internal(other.to_string())),
        }
    }
}

impl Submission<'_> {
    /// The editor again after a save ran into a change made elsewhere: both values side by
    /// side, the user's input kept, and its `if_version` moved to what is stored now, so
    /// that saving again (or "keep mine") replaces it knowingly.
    async fn conflict(&self, form: EditorForm) -> Result<Response, WebError> {
        let saved = match self.s.state.row(&self.target, &form.key).await {
            Ok(row) => row,
            Err(StateError::Unavailable(_)) => return self.s.unavailable(self.lang, &self.user),
            Err(e) => return Err(WebError::Internal(e.to_string())),
        };
        info!(user_id = %self.target, key = %form.key, "save ran into a change made elsewhere");
        let opened = Some(keys::Opened {
            key: form.key.clone(),
            version: saved.as_ref().and_then(|r| r.version).unwrap_or(0),
        });
        let conflict = Some(keys::Conflict {
            saved,
            yours: form.value.clone(),
        });
        self.editor(EditorForm {
            opened,
            conflict,
            ..form
        })
        .await
    }
}

/// Opens a [`Submission`] or returns the page that refuses it.
macro_rules! submission {
    ($s:expr, $headers:expr, $lang:expr, $user:expr, $token:expr, $whose:expr) => {
        match Submission::check($s, $headers, $lang, $user, $token, $whose)? {
            Ok(sub) => sub,
            Err(page) => return Ok(page),
        }
    };
}

/// `POST /set`.
pub async fn set(
    State(s): State<WebState>,
    lang: Lang,
    RequireUser(user): RequireUser,
    headers: HeaderMap,
    Form(f): Form<SetForm>,
) -> Result<Response, WebError> {
    let sub = submission!(&s, &headers, lang, user, &f.csrf_token, &f.user);
    let form = EditorForm {
        key: f.key.clone(),
        value: f.value.clone(),
        as_text: f.as_text.is_some(),
        error: None,
        opened: f.if_version().map(|version| keys::Opened {
            key: f.key.clone(),
            version,
        }),
        conflict: None,
    };
    let error = |e: String| EditorForm {
        error: Some(e),
        ..form.clone()
    };
    if f.key.is_empty() {
        let e = CATALOG.text(sub.lang, "key_required").to_string();
        return sub.editor(error(e)).await;
    }
    let parsed = match value::parse(&f.value, form.as_text) {
        Ok(v) => v,
        Err(e) => {
            let e = value::explain(&e, sub.lang);
            return sub.editor(error(e)).await;
        }
    };
    match s
        .state
        .set(&sub.target, &f.key, parsed, f.if_version())
        .await
    {
        Ok(version) => {
            info!(user_id = %sub.target, key = %f.key, ?version, "key saved");
            Ok(sub.done(&format!("saved={}", encode(&f.key))))
        }
        Err(e) => sub.failed(e, form).await,
    }
}

/// `POST /delete`.
pub async fn delete(
    State(s): State<WebState>,
    lang: Lang,
    RequireUser(user): RequireUser,
    headers: HeaderMap,
    Form(f): Form<DeleteForm>,
) -> Result<Response, WebError> {
    let sub = submission!(&s, &headers, lang, user, &f.csrf_token, &f.user);
    match s.state.delete(&sub.target, &f.key, f.version).await {
        Ok(_) => Ok(sub.done(&format!("deleted={}", encode(&f.key)))),
        Err(e) if e.is_conflict() => {
            let text = CATALOG
                .text(sub.lang, "delete_conflict")
                .replace("{key}", &f.key);
            sub.editor(EditorForm {
                error: Some(text),
                ..EditorForm::default()
            })
            .await
        }
        Err(e) => sub.failed(e, EditorForm::default()).await,
    }
}

/// `POST /clear`: asks first, then deletes every key.
pub async fn clear(
    State(s): State<WebState>,
    lang: Lang,
    RequireUser(user): RequireUser,
    headers: HeaderMap,
    Form(f): Form<ClearForm>,
) -> Result<Response, WebError> {
    let sub = submission!(&s, &headers, lang, user, &f.csrf_token, &f.user);
    if f.confirm.as_deref() != Some("yes") {
        let csrf = CsrfToken::for_request(&headers)?;
        let html = s.pages.render(
            "confirm_clear.html",
            sub.lang,
            CATALOG.text(sub.lang, "clear_title"),
            Some(&sub.user),
            minijinja::context! { target => sub.target, csrf => csrf.value() },
        )?;
        return Ok(Page::new(html)
            .cookie(csrf.cookie(&s.scope))
            .into_response());
    }
    match s.state.clear(&sub.target).await {
        Ok(n) => {
            info!(user_id = %sub.target, removed = n, "keys cleared");
            Ok(sub.done("cleared=1"))
        }
        Err(e) => sub.failed(e, EditorForm::default()).await,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn query_values_are_escaped() {
        assert_eq!(super::encode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
    }
}
