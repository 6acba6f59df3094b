//! [`Gatekeeper`]: what the identity extractors need from a unit — how to ask the identify
//! unit about a session cookie, how long to wait, where the login page is (configured or
//! found through presence), where a login comes back to, and this unit's refusal pages.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use axum::http::HeaderMap;
use axum::response::Response;
use modt::{Asker, Directory};

use super::refusal::{DefaultPages, Refusal, RefusalPages};
use crate::identity::{self, DEFAULT_TIMEOUT};
use crate::{ApiError, Lang, Visitor, WebError};

/// How a unit finds out who is visiting, and how it says no. Cheap to clone; put one in the
/// router's state and implement `FromRef<YourState> for Gatekeeper`.
#[derive(Clone)]
pub struct Gatekeeper {
    asker: Asker,
    directory: Directory,
    identify_url: Option<String>,
    public_url: String,
    timeout: Duration,
    pages: Arc<dyn RefusalPages>,
}

impl fmt::Debug for Gatekeeper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Gatekeeper")
            .field("identify_url", &self.identify_url)
            .field("public_url", &self.public_url)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl Gatekeeper {
    /// Asks through `asker`, finds the identify unit in `directory`, and sends logins back
    /// to `public_url` (this unit's address as browsers see it). Waits
    /// [`DEFAULT_TIMEOUT`] and refuses with [`DefaultPages`] until told otherwise.
    pub fn new(asker: Asker, directory: Directory, public_url: impl Into<String>) -> Gatekeeper {
        Gatekeeper {
            asker,
            directory,
            identify_url: None,
            public_url: public_url.into(),
            timeout: DEFAULT_TIMEOUT,
            pages: Arc::new(DefaultPages),
        }
    }

    /// The identify unit's address when it is configured (else found through presence).
    pub fn identify_url(mut self, url: Option<String>) -> Gatekeeper {
        self.identify_url = url;
        self
    }

    /// How long a session query may take before the visitor is refused with a 503.
    pub fn timeout(mut self, timeout: Duration) -> Gatekeeper {
        self.timeout = timeout;
        self
    }

    /// This unit's pages for a refusal.
    pub fn pages(mut self, pages: impl RefusalPages) -> Gatekeeper {
        self.pages = Arc::new(pages);
        self
    }

    /// The identify unit's address: configured, or the one it announced.
    pub fn identify(&self) -> Option<String> {
        self.identify_url
            .clone()
            .or_else(|| self.directory.url_of_kind(crate::nav::IDENTIFY_KIND))
    }

    /// The identify unit's logout page, when it is known.
    pub fn logout_url(&self) -> Option<String> {
        self.identify()
            .map(|u| format!("{}/logout", u.trim_end_matches('/')))
    }

    /// The login page that comes back to `next` (with `expired=1` after a session ended),
    /// when the identify unit is known.
    pub fn login_url(&self, next: &str, expired: bool) -> Option<String> {
        let login = crate::nav::login_url(&self.identify()?, next);
        Some(if expired { login + "&expired=1" } else { login })
    }

    /// The request's visitor, from its session cookie.
    pub async fn visitor(&self, headers: &HeaderMap) -> Result<Visitor, WebError> {
        identity::resolve(&self.asker, headers, self.timeout).await
    }

    /// How this unit asks other units (session queries, privately or the original's way).
    pub fn asker(&self) -> &Asker {
        &self.asker
    }

    /// Which units are online.
    pub fn directory(&self) -> &Directory {
        &self.directory
    }

    /// This unit's address as browsers see it.
    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// How long a session query may take.
    pub fn session_timeout(&self) -> Duration {
        self.timeout
    }

    /// The answer to a refused request: JSON for an API request, else this unit's page.
    pub fn refuse(&self, lang: Lang, refusal: &Refusal, api: bool) -> Response {
        if api {
            axum::response::IntoResponse::into_response(ApiError::from(refusal))
        } else {
            self.pages.render(lang, refusal)
        }
    }
}
