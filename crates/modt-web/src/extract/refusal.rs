//! Why a request may not come in ([`Refusal`]), and the page that tells a person so
//! ([`RefusalPages`]). Each web unit renders these in its own look; [`DefaultPages`] is what a
//! new unit gets until it does: the login page for a signed-out visitor (a redirect, with
//! `next=` back here), a plain 403 or 503 page otherwise.

use std::fmt;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use modt::protocol::ErrorCode;

use crate::error_pages::{page, Texts};
use crate::pages::SeeOther;
use crate::{ApiError, Lang, SessionUser};

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal {
    /// Nobody is logged in.
    SignedOut {
        /// The identify unit's login page, coming back here afterwards (`next=`), when it is
        /// known.
        login: Option<String>,
        /// The browser brought a cookie of a session that ended (logged out or expired).
        expired: bool,
    },
    /// Logged in, but not an administrator.
    NotAdmin(SessionUser),
    /// The identify unit did not answer in time.
    Unavailable,
}

impl Refusal {
    /// The protocol code an API client gets: `unauthorized`, `forbidden` or `unavailable`.
    pub fn code(&self) -> ErrorCode {
        match self {
            Refusal::SignedOut { .. } => ErrorCode::Unauthorized,
            Refusal::NotAdmin(_) => ErrorCode::Forbidden,
            Refusal::Unavailable => ErrorCode::Unavailable,
        }
    }
}

impl From<&Refusal> for ApiError {
    fn from(r: &Refusal) -> ApiError {
        let message = match r {
            Refusal::SignedOut { .. } => "not logged in",
            Refusal::NotAdmin(_) => "administrators only",
            Refusal::Unavailable => "the sign-in service is not answering",
        };
        ApiError::new(r.code(), message)
    }
}

/// How a unit shows a [`Refusal`] to a person (in `lang`), status included.
pub trait RefusalPages: Send + Sync + fmt::Debug + 'static {
    /// The page for `refusal`.
    fn render(&self, lang: Lang, refusal: &Refusal) -> Response;
}

/// The pages a unit gets until it draws its own: a redirect to the login page (303) for a
/// signed-out visitor, plain styled pages for the rest.
#[derive(Debug, Clone, Copy, Default)]
pub struct DefaultPages;

impl RefusalPages for DefaultPages {
    fn render(&self, lang: Lang, refusal: &Refusal) -> Response {
        let ja = lang == Lang::Ja;
        let back = if ja {
            "トップページへ"
        } else {
            "Go to the start page"
        };
        let (status, test_id, title, text) = match refusal {
            Refusal::SignedOut {
                login: Some(login), ..
            } => return SeeOther::to(login.clone()).into_response(),
            Refusal::NotAdmin(_) if ja => (
                StatusCode::FORBIDDEN,
                "forbidden",
                "管理者専用です",
                "このページは管理者だけが開けます。",
            ),
            Refusal::NotAdmin(_) => (
                StatusCode::FORBIDDEN,
                "forbidden",
                "Administrators only",
                "Only administrators may open this page.",
            ),
            _ if ja => (
                StatusCode::SERVICE_UNAVAILABLE,
                "no-identify",
                "サインインできません",
                "現在サインインサービスが動いていません。しばらくしてからお試しください。",
            ),
            _ => (
                StatusCode::SERVICE_UNAVAILABLE,
                "no-identify",
                "Signing in is not possible right now",
                "The sign-in service is not running right now. Please try again in a moment.",
            ),
        };
        let texts = Texts {
            title,
            text,
            hint: None,
            back,
        };
        page(lang, status, test_id, &texts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use modt::protocol::Role;

    #[test]
    fn default_pages_send_signed_out_visitors_to_the_login() {
        let login = "http://h:8080/login?next=http%3A%2F%2Fh%3A8082".to_string();
        let res = DefaultPages.render(
            Lang::En,
            &Refusal::SignedOut {
                login: Some(login.clone()),
                expired: false,
            },
        );
        assert_eq!(res.status(), 303);
        assert_eq!(res.headers()["location"], login.as_str());
        let nobody = Refusal::SignedOut {
            login: None,
            expired: false,
        };
        assert_eq!(DefaultPages.render(Lang::En, &nobody).status(), 503);
        let user = SessionUser {
            user_id: "u".into(),
            role: Role::User,
            username: None,
        };
        let res = DefaultPages.render(Lang::Ja, &Refusal::NotAdmin(user));
        assert_eq!(res.status(), 403);
    }

    #[test]
    fn api_clients_get_the_protocol_codes() {
        let r = Refusal::SignedOut {
            login: None,
            expired: true,
        };
        assert_eq!(ApiError::from(&r).status(), 401);
        assert_eq!(ApiError::from(&Refusal::Unavailable).status(), 503);
    }
}
