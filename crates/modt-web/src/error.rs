//! [`WebError`]: what a web handler fails with. People see a short plain page that gives
//! nothing away; the log gets the real cause.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use tracing::{error, warn};

/// A failure while serving a page.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// A template failed to compile or render (a bug).
    #[error("template error: {0}")]
    Template(String),
    /// Another unit the page needs did not answer (identify, state): try again later.
    #[error("a unit this page needs is unavailable: {0}")]
    Unavailable(String),
    /// Something else went wrong on our side.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<getrandom::Error> for WebError {
    fn from(e: getrandom::Error) -> Self {
        WebError::Internal(format!("the operating system's random source failed: {e}"))
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, text) = match &self {
            WebError::Unavailable(_) => {
                warn!(error = %self, "page unavailable");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "A service this page needs is not answering. Please try again in a moment. \
                     / 必要なサービスが応答していません。しばらくしてから再度お試しください。",
                )
            }
            _ => {
                error!(error = %self, "page failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong on our side. / サーバー側でエラーが発生しました。",
                )
            }
        };
        let html = format!(
            "<!doctype html><html><head><meta charset=\"utf-8\"><title>MoDT</title>\
             <link rel=\"stylesheet\" href=\"/assets/modt.css\"></head>\
             <body><main class=\"card\"><h1>{}</h1><p>{text}</p></main></body></html>",
            status.as_u16()
        );
        (status, Html(html)).into_response()
    }
}
