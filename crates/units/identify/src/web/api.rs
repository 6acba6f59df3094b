//! `POST /api/login`: the login for non-browser clients.
//!
//! Request `{"username": "…", "password": "…"}`; answer `200 {"user_id", "username", "role",
//! "session_id", "expires_at"}` (the session id in the body only, and in the cookie), `401`
//! with the same vague error as the page, or `429` with `Retry-After`. Errors use the
//! protocol's error body (docs/protocol.md §5).

use std::net::SocketAddr;

use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, State};
use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use modt::protocol::{ErrorCode, ErrorReply};
use modt_web::WebError;
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
    pub role: String,
    /// The session id (keep it secret; send it as the `modt_session_id` cookie).
    pub session_id: String,
    /// Absolute expiry, Unix seconds.
    pub expires_at: i64,
}

fn error(status: StatusCode, code: ErrorCode, message: &str) -> Response {
    (status, Json(ErrorReply::new(None, code, message))).into_response()
}

/// `POST /api/login`.
pub async fn login(
    State(state): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Json<ApiLogin>, JsonRejection>,
) -> Result<Response, WebError> {
    let Json(req) = match body {
        Ok(b) => b,
        Err(e) => {
            return Ok(error(
                StatusCode::BAD_REQUEST,
                ErrorCode::BadRequest,
                &e.body_text(),
            ))
        }
    };
    let address = state.client_address(peer, &headers);
    Ok(
        match attempt(&state, &req.username, req.password, &address).await? {
            Outcome::LoggedIn(l) => {
                let cookie = state
                    .scope
                    .session(l.session_id.clone(), state.identity.config.session_max_age);
                let body = ApiSession {
                    user_id: l.user.user_id,
                    username: l.user.username,
                    role: l.user.role.as_str().to_string(),
                    session_id: l.session_id,
                    expires_at: l.expires_at,
                };
                let mut res = Json(body).into_response();
                if let Ok(v) = cookie.to_string().parse() {
                    res.headers_mut().append(axum::http::header::SET_COOKIE, v);
                }
                res
            }
            Outcome::Wrong => error(
                StatusCode::UNAUTHORIZED,
                ErrorCode::Unauthorized,
                "wrong user name or password",
            ),
            Outcome::Busy => super::login::retry_after_a_moment(error(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::Unavailable,
                "too many logins at once; retry in a moment",
            )),
            Outcome::Throttled(wait) => {
                let mut res = error(
                    StatusCode::TOO_MANY_REQUESTS,
                    ErrorCode::Unavailable,
                    "too many failed attempts; retry later",
                );
                if let Ok(v) = wait.as_secs().max(1).to_string().parse() {
                    res.headers_mut().insert(RETRY_AFTER, v);
                }
                res
            }
        },
    )
}
