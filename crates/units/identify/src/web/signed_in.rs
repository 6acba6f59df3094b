//! [`SignedIn`]: the identify unit's own "who is this browser?" — the session cookie looked
//! up in its store (the other web units ask over MQTT, with [`modt_web::RequireUser`]).
//! Anyone else goes to `/login`, or for an API call, an event stream or a WebSocket gets 401
//! JSON ([`modt_web::ApiError`]).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use modt::protocol::ErrorCode;
use modt_web::extract::visitor::wants_json;
use modt_web::pages::SeeOther;
use modt_web::ApiError;

use super::WebState;
use crate::sessions::SessionKey;
use crate::store::User;

/// A request of a live session: its key and its user.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// The session's key (what the store keeps for the cookie's id).
    pub key: SessionKey,
    /// Its user.
    pub user: User,
}

impl FromRequestParts<WebState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> Result<SignedIn, Response> {
        let api = wants_json(parts);
        match state.session(&parts.headers).await {
            Ok(Some((key, user))) => Ok(SignedIn { key, user }),
            Ok(None) if api => {
                Err(ApiError::new(ErrorCode::Unauthorized, "not logged in").into_response())
            }
            Ok(None) => Err(SeeOther::to("/login").into_response()),
            Err(e) if api => Err(ApiError::from(e).into_response()),
            Err(e) => Err(e.into_response()),
        }
    }
}
