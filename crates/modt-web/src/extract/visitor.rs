//! The identity extractors: [`Visitor`] (who is visiting, maybe nobody), [`RequireUser`]
//! (a logged-in user, else refused) and [`RequireAdmin`] (an administrator, else refused).
//!
//! The session cookie is resolved once per request through the [`Gatekeeper`] (a session
//! query to the identify unit) and kept in the request's extensions, so a handler may take
//! several of these. A refusal ([`Refused`]) is the unit's page, or for an API request —
//! `Accept: application/json` or `text/event-stream`, a WebSocket handshake, a path under
//! `/api/` — an [`ApiError`](crate::ApiError) body: 401 signed out, 403 not an administrator,
//! 503 identify silent.

use axum::extract::{FromRef, FromRequestParts};
use axum::http::header::{ACCEPT, UPGRADE};
use axum::http::request::Parts;
use axum::http::Method;
use axum::response::{IntoResponse, Response};
use tracing::warn;

use super::gate::Gatekeeper;
use super::lang::query_lang;
use super::refusal::Refusal;
use crate::{Lang, SessionUser, Visitor, WebError};

/// A logged-in user; anyone else is refused (the login page, with `next=` back to this
/// address, or 401 for an API request).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequireUser(pub SessionUser);

/// A logged-in administrator; other users are refused with 403, visitors as by
/// [`RequireUser`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequireAdmin(pub SessionUser);

/// Why an identity extractor refused a request, already rendered as its answer.
#[derive(Debug)]
pub struct Refused {
    refusal: Option<Refusal>,
    response: Response,
}

impl Refused {
    /// The refusal; `None` when the lookup itself failed (a 500).
    pub fn refusal(&self) -> Option<&Refusal> {
        self.refusal.as_ref()
    }

    fn new(gate: &Gatekeeper, parts: &Parts, refusal: Refusal) -> Refused {
        let lang = Lang::choose(&parts.headers, query_lang(parts).as_deref());
        let response = gate.refuse(lang, &refusal, wants_json(parts));
        Refused {
            refusal: Some(refusal),
            response,
        }
    }

    fn failed(e: WebError, parts: &Parts) -> Refused {
        let response = if wants_json(parts) {
            crate::ApiError::from(e).into_response()
        } else {
            e.into_response()
        };
        Refused {
            refusal: None,
            response,
        }
    }
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        self.response
    }
}

/// Whether a request is an API call (answered with JSON) rather than a page.
pub fn wants_json(parts: &Parts) -> bool {
    let header = |name| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase()
    };
    let accept = header(ACCEPT);
    let machine = accept.contains("application/json") || accept.contains("text/event-stream");
    header(UPGRADE) == "websocket"
        || parts.uri.path().starts_with("/api/")
        || (machine && !accept.contains("text/html"))
}

/// Where a login should come back to: this address, as browsers see it (a page that is not
/// a `GET` comes back to the unit's start page).
fn here(gate: &Gatekeeper, parts: &Parts) -> String {
    let base = gate.public_url();
    match parts.uri.path_and_query().map(|p| p.as_str()) {
        Some(p) if parts.method == Method::GET && p != "/" => {
            format!("{}{p}", base.trim_end_matches('/'))
        }
        _ => base.to_string(),
    }
}

impl<S> FromRequestParts<S> for Visitor
where
    Gatekeeper: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Refused;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Visitor, Refused> {
        if let Some(known) = parts.extensions.get::<Visitor>() {
            return Ok(known.clone());
        }
        let gate = Gatekeeper::from_ref(state);
        match gate.visitor(&parts.headers).await {
            Ok(visitor) => {
                parts.extensions.insert(visitor.clone());
                Ok(visitor)
            }
            Err(WebError::Unavailable(why)) => {
                warn!(%why, "identify unit unavailable");
                Err(Refused::new(&gate, parts, Refusal::Unavailable))
            }
            Err(e) => Err(Refused::failed(e, parts)),
        }
    }
}

impl<S> FromRequestParts<S> for RequireUser
where
    Gatekeeper: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Refused;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<RequireUser, Refused> {
        let expired = match Visitor::from_request_parts(parts, state).await? {
            Visitor::User(user) => return Ok(RequireUser(user)),
            Visitor::Anonymous => false,
            Visitor::Expired => true,
        };
        let gate = Gatekeeper::from_ref(state);
        let login = gate.login_url(&here(&gate, parts), expired);
        Err(Refused::new(
            &gate,
            parts,
            Refusal::SignedOut { login, expired },
        ))
    }
}

impl<S> FromRequestParts<S> for RequireAdmin
where
    Gatekeeper: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Refused;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<RequireAdmin, Refused> {
        let RequireUser(user) = RequireUser::from_request_parts(parts, state).await?;
        if user.is_admin() {
            return Ok(RequireAdmin(user));
        }
        let gate = Gatekeeper::from_ref(state);
        Err(Refused::new(&gate, parts, Refusal::NotAdmin(user)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    fn parts(uri: &str, headers: &[(&str, &str)]) -> Parts {
        let mut req = Request::builder().uri(uri);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.body(()).unwrap().into_parts().0
    }

    #[test]
    fn api_requests_are_told_apart_from_pages() {
        assert!(!wants_json(&parts("/", &[])));
        let browser = [("accept", "text/html,application/xhtml+xml,*/*;q=0.8")];
        assert!(!wants_json(&parts("/", &browser)));
        assert!(wants_json(&parts("/", &[("accept", "application/json")])));
        assert!(wants_json(&parts(
            "/events",
            &[("accept", "text/event-stream")]
        )));
        assert!(wants_json(&parts("/feed", &[("upgrade", "WebSocket")])));
        assert!(wants_json(&parts("/api/keys", &[])));
    }
}
