//! [`ApiError`]: what a JSON endpoint fails with. The client gets the HTTP status of the
//! protocol's error code ([`status_of`], the one mapping table, docs/protocol.md §5) and a
//! stable body, `{"status": "error", "error": {"code": "…", "message": "…"}}` — the error
//! reply of §3 without `request_id`, so one reader parses both. The cause of a failure on our
//! side goes to the log, never into the body.
//!
//! Pages fail with [`WebError`](crate::WebError) instead (an HTML page).
//!
//! ```
//! use axum::response::IntoResponse;
//! use modt::protocol::ErrorCode;
//! use modt_web::ApiError;
//!
//! let res = ApiError::new(ErrorCode::NotFound, "no such key").into_response();
//! assert_eq!(res.status(), 404);
//! let res = ApiError::internal("disk on fire at /var/x").into_response();
//! assert_eq!(res.status(), 500); // the body says "internal error", the log says the rest
//! ```

use std::fmt;
use std::time::Duration;

use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use modt::protocol::{ErrorBody, ErrorCode, FieldError, ReplyStatus};
use serde::{Deserialize, Serialize};
use tracing::{debug, error, warn};

/// The HTTP status of each protocol error code: the one place they are mapped.
///
/// | code | status |
/// |---|---|
/// | `bad_request` | 400 |
/// | `unauthorized` | 401 |
/// | `forbidden` | 403 |
/// | `not_found` | 404 |
/// | `conflict` | 409 |
/// | `precondition_failed` | 412 |
/// | `too_large` | 413 |
/// | `unprocessable` | 422 |
/// | `too_many_requests` | 429 |
/// | `internal` | 500 |
/// | `unavailable` | 503 |
/// | `timeout` | 504 |
pub fn status_of(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::BadRequest => StatusCode::BAD_REQUEST,
        ErrorCode::Unauthorized => StatusCode::UNAUTHORIZED,
        ErrorCode::Forbidden => StatusCode::FORBIDDEN,
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::Conflict => StatusCode::CONFLICT,
        ErrorCode::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
        ErrorCode::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::Unprocessable => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::Timeout => StatusCode::GATEWAY_TIMEOUT,
        // `internal`, and any code added later until it is mapped here.
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The body of every JSON error: `{"status": "error", "error": {"code", "message"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiErrorBody {
    /// Always `error`.
    pub status: ReplyStatus,
    /// The code and a message for people.
    pub error: ErrorBody,
}

/// A failed JSON request: a protocol [`ErrorCode`], a message safe to show, and, for
/// failures on our side, the cause that is logged and not sent.
#[derive(Debug)]
pub struct ApiError {
    code: ErrorCode,
    message: String,
    cause: Option<String>,
    retry_after: Option<Duration>,
    details: Vec<FieldError>,
}

impl ApiError {
    /// An error with `code` and a `message` the client may read (it must hold no secret).
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            message: message.into(),
            cause: None,
            retry_after: None,
            details: Vec::new(),
        }
    }

    /// The error of a body (an error reply from a unit, or one of ours): its code, message and
    /// field details.
    pub fn from_body(body: ErrorBody) -> ApiError {
        let error = ApiError::new(body.code, body.message).with_details(body.details);
        match body.retry_after {
            Some(secs) => error.retry_after(Duration::from_secs(secs)),
            None => error,
        }
    }

    /// Says which fields broke which rule (sent as `error.details`).
    pub fn with_details(mut self, details: Vec<FieldError>) -> ApiError {
        self.details = details;
        self
    }

    /// A fault on our side: the client reads only "internal error"; `cause` is logged.
    pub fn internal(cause: impl fmt::Display) -> ApiError {
        ApiError::new(ErrorCode::Internal, "internal error").caused_by(cause)
    }

    /// A unit this request needs did not answer: 503, `cause` logged.
    pub fn unavailable(cause: impl fmt::Display) -> ApiError {
        ApiError::new(
            ErrorCode::Unavailable,
            "a service this request needs is unavailable; retry in a moment",
        )
        .caused_by(cause)
    }

    /// Keeps `cause` for the log (never sent).
    pub fn caused_by(mut self, cause: impl fmt::Display) -> ApiError {
        self.cause = Some(cause.to_string());
        self
    }

    /// Adds `Retry-After` (whole seconds, at least 1) to the response.
    pub fn retry_after(mut self, wait: Duration) -> ApiError {
        self.retry_after = Some(wait);
        self
    }

    /// The protocol code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The HTTP status it is answered with.
    pub fn status(&self) -> StatusCode {
        status_of(self.code)
    }

    /// The body the client gets.
    pub fn body(&self) -> ApiErrorBody {
        ApiErrorBody {
            status: ReplyStatus::Error,
            error: ErrorBody {
                code: self.code,
                message: self.message.clone(),
                details: self.details.clone(),
                retry_after: self.retry_after.map(|wait| wait.as_secs().max(1)),
            },
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)?;
        if let Some(cause) = &self.cause {
            write!(f, " ({cause})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

/// An SDK error (a request to another unit): its code, a fixed message per code, the
/// error itself logged.
impl From<modt::Error> for ApiError {
    fn from(e: modt::Error) -> ApiError {
        let code = e.code();
        let message = match code {
            ErrorCode::Timeout => "a service this request needs did not answer in time",
            ErrorCode::Unavailable => "a service this request needs is unavailable",
            ErrorCode::Internal => "internal error",
            _ => "the request was refused",
        };
        ApiError::new(code, message).caused_by(e)
    }
}

/// A page-side failure met on an API path.
impl From<crate::WebError> for ApiError {
    fn from(e: crate::WebError) -> ApiError {
        match e {
            crate::WebError::Unavailable(_) => ApiError::unavailable(e),
            _ => ApiError::internal(e),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            let cause = self.cause.as_deref().unwrap_or("");
            if self.code == ErrorCode::Internal {
                error!(code = %self.code, %cause, "API request failed");
            } else {
                warn!(code = %self.code, %cause, "API request failed");
            }
        } else {
            debug!(code = %self.code, message = %self.message, "API request refused");
        }
        let mut res = (status, Json(self.body())).into_response();
        if let Some(wait) = self.retry_after {
            let secs = wait.as_secs().max(1).to_string();
            if let Ok(v) = HeaderValue::from_str(&secs) {
                res.headers_mut().insert(RETRY_AFTER, v);
            }
        }
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body_of(res: Response) -> serde_json::Value {
        let bytes = axum::body::to_bytes(res.into_body(), 1 << 16)
            .await
            .unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[test]
    fn every_code_has_its_status() {
        let table = [
            (ErrorCode::BadRequest, 400),
            (ErrorCode::Unauthorized, 401),
            (ErrorCode::Forbidden, 403),
            (ErrorCode::NotFound, 404),
            (ErrorCode::Conflict, 409),
            (ErrorCode::TooLarge, 413),
            (ErrorCode::Unprocessable, 422),
            (ErrorCode::TooManyRequests, 429),
            (ErrorCode::Internal, 500),
            (ErrorCode::Unavailable, 503),
            (ErrorCode::Timeout, 504),
        ];
        for (code, status) in table {
            assert_eq!(status_of(code).as_u16(), status, "{code}");
        }
    }

    #[tokio::test]
    async fn the_body_is_stable_and_hides_causes() {
        let res = ApiError::internal("sqlite: /secret/path locked").into_response();
        assert_eq!(res.status(), 500);
        assert_eq!(res.headers()["content-type"], "application/json");
        let body = body_of(res).await;
        assert_eq!(
            body,
            serde_json::json!({"status": "error", "error": {"code": "internal", "message": "internal error"}})
        );
        let res = ApiError::new(ErrorCode::TooManyRequests, "slow down")
            .retry_after(Duration::from_millis(10))
            .into_response();
        assert_eq!(res.status(), 429);
        assert_eq!(res.headers()["retry-after"], "1");
        let body = body_of(res).await;
        assert_eq!(body["error"]["code"], "too_many_requests");
        // A client that reads the protocol's error replies reads this body too.
        let reply: modt::protocol::ErrorReply = serde_json::from_value(body).unwrap();
        assert_eq!(reply.error.message, "slow down");
        assert_eq!(reply.error.retry_after, Some(1));
    }

    #[tokio::test]
    async fn a_units_wait_becomes_retry_after() {
        let mut body = ErrorBody::new(ErrorCode::TooManyRequests, "too many attempts");
        body.retry_after = Some(42);
        let res = ApiError::from_body(body).into_response();
        assert_eq!(res.status(), 429);
        assert_eq!(res.headers()["retry-after"], "42");
        let res = ApiError::from_body(ErrorBody::new(ErrorCode::TooManyRequests, "no wait known"))
            .into_response();
        assert!(res.headers().get("retry-after").is_none());
        assert!(body_of(res).await["error"].get("retry_after").is_none());
    }

    #[tokio::test]
    async fn sdk_errors_keep_their_code_not_their_text() {
        let e = modt::Error::from(modt::RequestError::new(
            modt::RequestErrorKind::TimedOut,
            "no reply to modt/state/get within 3s",
        ));
        let res = ApiError::from(e).into_response();
        assert_eq!(res.status(), 504);
        let body = body_of(res).await.to_string();
        assert!(!body.contains("modt/state/get"), "{body}");
    }
}
