//! `POST /api/login`: the login for non-browser clients.
//!
//! Request `{"username": "…", "password": "…"}`; answer `200 {"user_id", "username", "role",
//! "session_id", "expires_at"}` (the session id in the body only, and in the cookie), `401`
//! with the same vague error as the page, `429` (`too_many_requests`) or `503` with
//! `Retry-After`, `400` for a body that is not the JSON asked for. Errors are
//! [`ApiError`]s: the body and status of docs/protocol.md §3 "Errors over HTTP".

use std::net::SocketAddr;

use std::time::Duration;

use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use modt::protocol::{ErrorCode, Role};
use modt_web::ApiError;
use serde::{Deserialize, Serialize};

use super::login::{attempt, Outcome};
use super::WebState;

/// The request body.
#[derive(Debug, Deserialize)]
pub struct ApiLogin {
    /// The user name.
    pub username: String,
    /// The password.
    pub password: String,
}

/// The success body.
#[derive(Debug, Serialize)]
pub struct ApiSession {
    /// The user's id.
    pub user_id: String,
    /// The login name.
    pub username: String,
    /// `user` or `admin`.
    pub role: Role,
    /// The session id (keep it secret; send it as the `modt_session_id` cookie).
    pub session_id: String,
    /// Absolute expiry, Unix seconds.
    pub expires_at: i64,
}

/// `POST /api/login`.
pub async fn login(
    State(state): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Json<ApiLogin>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(req) = body.map_err(|e| ApiError::new(ErrorCode::BadRequest, e.body_text()))?;
    let address = state.client_address(peer, &headers);
    match attempt(&state, &req.username, req.password, &address).await? {
        Outcome::LoggedIn(l) => {
            let cookie = state
                .scope
                .session(l.session_id.clone(), state.identity.config.session_max_age);
            let body = ApiSession {
                user_id: l.user.user_id,
                username: l.user.username,
                role: l.user.role,
                session_id: l.session_id,
                expires_at: l.expires_at,
            };
            let mut res = Json(body).into_response();
            if let Ok(v) = cookie.to_string().parse() {
                res.headers_mut().append(axum::http::header::SET_COOKIE, v);
            }
            Ok(res)
        }
        Outcome::Wrong => Err(ApiError::new(
            ErrorCode::Unauthorized,
            "wrong user name or password",
        )),
        Outcome::Busy => Err(ApiError::new(
            ErrorCode::Unavailable,
            "too many logins at once; retry in a moment",
        )
        .retry_after(Duration::from_secs(1))),
        Outcome::Throttled(wait) => Err(ApiError::new(
            ErrorCode::TooManyRequests,
            "too many failed attempts; retry later",
        )
        .retry_after(wait)),
    }
}
