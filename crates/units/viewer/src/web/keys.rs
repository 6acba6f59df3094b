//! `GET /`: the keys page; `GET /table`: only its table, for live refreshes.

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};
use modt_web::{CsrfToken, Lang, Page, RequireUser, SessionUser, WebError};
use serde::{Deserialize, Serialize};

use super::{WebState, MAX_VALUE_BYTES};
use crate::messages::CATALOG;
use crate::state::{Row, StateError};

/// Query of the keys page.
#[derive(Debug, Default, Deserialize)]
pub struct KeysQuery {
    /// `en` or `ja`.
    pub lang: Option<String>,
    /// Whose keys (admins only, for others).
    pub user: Option<String>,
    /// Fill the editor with this key.
    pub edit: Option<String>,
    /// Just saved this key.
    pub saved: Option<String>,
    /// Just deleted this key.
    pub deleted: Option<String>,
    /// Just cleared.
    pub cleared: Option<String>,
}

/// What the editor shows: empty, opened on a key, or as sent after a failed save.
#[derive(Debug, Default, Clone)]
pub(crate) struct Form {
    pub(crate) key: String,
    pub(crate) value: String,
    pub(crate) as_text: bool,
    pub(crate) error: Option<String>,
    /// The key the editor was opened on and its version then: a save of that key is sent
    /// with `if_version`, so a change made elsewhere meanwhile is not overwritten unseen.
    pub(crate) opened: Option<Opened>,
    /// The change made elsewhere that a save ran into.
    pub(crate) conflict: Option<Conflict>,
}

/// The key the editor was opened on, and the version it showed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Opened {
    pub(crate) key: String,
    pub(crate) version: u64,
}

/// A save that ran into a change made elsewhere: both values, for the user to choose.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Conflict {
    /// The key as it is stored now; `None` when it was deleted meanwhile.
    pub(crate) saved: Option<Row>,
    /// What the user tried to save, as they typed it.
    pub(crate) yours: String,
}

/// `GET /`.
pub async fn show(
    State(s): State<WebState>,
    lang: Lang,
    RequireUser(user): RequireUser,
    Query(q): Query<KeysQuery>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let Some(target) = s.target(&user, q.user.as_deref()) else {
        return Ok(s.forbidden(lang, &user));
    };
    let notice = if let Some(k) = &q.saved {
        Some(format!("{} {k}", CATALOG.text(lang, "saved")))
    } else if let Some(k) = &q.deleted {
        Some(format!("{} {k}", CATALOG.text(lang, "deleted")))
    } else {
        q.cleared
            .as_ref()
            .map(|_| CATALOG.text(lang, "cleared").to_string())
    };
    page(
        &s,
        &headers,
        lang,
        &user,
        &target,
        notice,
        Form {
            key: q.edit.clone().unwrap_or_default(),
            ..Form::default()
        },
        q.edit.as_deref(),
    )
    .await
}

/// Renders the keys page; `edit` fills the editor from that key's current value.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn page(
    s: &WebState,
    headers: &HeaderMap,
    lang: Lang,
    user: &SessionUser,
    target: &str,
    notice: Option<String>,
    mut form: Form,
    edit: Option<&str>,
) -> Result<Response, WebError> {
    let rows = match s.state.rows(target).await {
        Ok(rows) => rows,
        Err(StateError::Unavailable(_)) => return s.unavailable(lang, user),
        Err(e) => return Err(WebError::Internal(e.to_string())),
    };
    if let Some(row) = edit.and_then(|k| rows.iter().find(|r| r.key == k)) {
        form.value = row.edit.clone();
        form.as_text = false;
        form.opened = row.version.map(|version| Opened {
            key: row.key.clone(),
            version,
        });
    }
    let csrf = CsrfToken::for_request(headers)?;
    let title = if target == user.user_id {
        CATALOG.text(lang, "title")
    } else {
        CATALOG.text(lang, "title_other")
    };
    let status = if form.conflict.is_some() {
        axum::http::StatusCode::CONFLICT
    } else if form.error.is_some() {
        axum::http::StatusCode::BAD_REQUEST
    } else {
        axum::http::StatusCode::OK
    };
    let html = s.pages.render(
        "keys.html",
        lang,
        title,
        Some(user),
        minijinja::context! {
            rows => rows,
            target => target,
            own => target == user.user_id,
            csrf => csrf.value(),
            notice => notice,
            error => form.error,
            form_key => form.key,
            form_value => form.value,
            form_as_text => form.as_text,
            opened => form.opened,
            conflict => form.conflict,
            max_value_bytes => MAX_VALUE_BYTES,
        },
    )?;
    Ok(Page::new(html)
        .status(status)
        .cookie(csrf.cookie(&s.scope))
        .into_response())
}

/// `GET /table?user=…`: the table alone.
pub async fn table(
    State(s): State<WebState>,
    lang: Lang,
    RequireUser(user): RequireUser,
    Query(q): Query<KeysQuery>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let Some(target) = s.target(&user, q.user.as_deref()) else {
        return Ok(s.forbidden(lang, &user));
    };
    let rows: Vec<Row> = match s.state.rows(&target).await {
        Ok(rows) => rows,
        Err(StateError::Unavailable(_)) => return s.unavailable(lang, &user),
        Err(e) => return Err(WebError::Internal(e.to_string())),
    };
    let csrf = CsrfToken::for_request(&headers)?;
    let html = s.pages.templates().render(
        "table.html",
        minijinja::context! {
            rows => rows,
            target => target,
            csrf => csrf.value(),
            t => CATALOG.texts(lang),
        },
    )?;
    Ok(Html(html).into_response())
}
