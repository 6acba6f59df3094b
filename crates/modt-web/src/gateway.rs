//! Where a page that calls the REST API through the gateway sends its calls: the gateway's
//! URL as browsers reach it (the unit's own flag, e.g. `--todo-gateway-url`, else the web
//! address the gateway unit announces), and the Content-Security-Policy that lets the page's
//! script connect there and nowhere else. Used by the todo and ingest pages.

use axum::extract::State;
use axum::http::header::CONTENT_SECURITY_POLICY;
use axum::http::HeaderValue;
use axum::response::Response;
use modt::directory::web_origin;
use modt::Directory;

/// The gateway unit's name, as it announces itself.
pub const GATEWAY_NAME: &str = "gateway";

/// Finds the gateway. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Gateway {
    configured: Option<String>,
    directory: Directory,
}

impl Gateway {
    /// The gateway at `configured`, else as `directory` finds it.
    pub fn new(configured: Option<String>, directory: Directory) -> Gateway {
        Gateway {
            configured,
            directory,
        }
    }

    /// The gateway's base URL (no trailing `/`), when known.
    pub fn url(&self) -> Option<String> {
        let url = match &self.configured {
            Some(url) => Some(url.clone()),
            None => self
                .directory
                .online_with_url()
                .into_iter()
                .find(|(_, info)| info.name == GATEWAY_NAME || info.kind == GATEWAY_NAME)
                .and_then(|(_, info)| info.http_url),
        }?;
        web_origin(&url)?;
        Some(url.trim_end_matches('/').to_owned())
    }

    /// The page's policy: the toolkit's ([`crate::headers::CSP`]), with the gateway's
    /// origin added to `connect-src` when it is known.
    pub fn csp(&self) -> String {
        let base = crate::headers::CSP;
        match self.url().as_deref().and_then(web_origin) {
            Some(origin) => base.replace(
                "connect-src 'self'",
                &format!("connect-src 'self' {origin}"),
            ),
            None => base.to_owned(),
        }
    }
}

/// Sets the policy of [`Gateway::csp`] on a response (the layer outside the toolkit's
/// security headers, so it has the last word on this one header).
pub async fn set_csp(State(gateway): State<Gateway>, mut response: Response) -> Response {
    if let Ok(value) = HeaderValue::from_str(&gateway.csp()) {
        response
            .headers_mut()
            .insert(CONTENT_SECURITY_POLICY, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_opens_connections_to_the_gateway_only() {
        let directory = Directory::trusting(modt::directory::WebUnits::Any);
        let none = Gateway::new(None, directory.clone());
        assert_eq!(none.url(), None);
        assert_eq!(none.csp(), crate::headers::CSP);
        let set = Gateway::new(Some("http://127.0.0.1:8084/".into()), directory.clone());
        assert_eq!(set.url().as_deref(), Some("http://127.0.0.1:8084"));
        assert!(set
            .csp()
            .contains("connect-src 'self' http://127.0.0.1:8084;"));
        let bad = Gateway::new(Some("javascript:alert(1)".into()), directory);
        assert_eq!(bad.url(), None);
    }
}
