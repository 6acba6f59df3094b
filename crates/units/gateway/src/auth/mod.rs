//! Who is calling: a bearer access token checked against identify's JWK Set ([`bearer`],
//! [`jwks`]), or the session cookie resolved by identify (modt_web's [`Gatekeeper`]), and
//! whether that caller may use a route ([`Authenticator::caller`]).
//!
//! Nothing from the client's headers becomes the caller except through these checks. A
//! cookie-authenticated write (POST, PUT, PATCH, DELETE) must come from an allowed origin,
//! since a browser attaches the cookie to cross-site requests too (CSRF).

pub(crate) mod bearer;
pub(crate) mod cache;
pub(crate) mod jwks;

use std::sync::Arc;

use axum::http::header::{AUTHORIZATION, ORIGIN};
use axum::http::{HeaderMap, Method};
use jsonwebtoken::Validation;
use modt::protocol::{Caller, ErrorCode};
use modt_web::{ApiError, Gatekeeper, SessionUser, Visitor, WebError};

use crate::presence::Presence;
use crate::routes::{Auth, Route};
use jwks::KeyRing;

/// Decides the caller of each request.
#[derive(Debug, Clone)]
pub(crate) struct Authenticator {
    pub(crate) ring: Arc<KeyRing>,
    tokens: Arc<cache::TokenCache>,
    validation: Arc<Validation>,
    gate: Gatekeeper,
    presence: Presence,
}

impl Authenticator {
    pub(crate) fn new(
        ring: Arc<KeyRing>,
        validation: Validation,
        gate: Gatekeeper,
        presence: Presence,
    ) -> Self {
        Authenticator {
            ring,
            tokens: Arc::default(),
            validation: Arc::new(validation),
            gate,
            presence,
        }
    }

    /// The verified caller of a request for `route`, or why it is refused (401, 403, or 503
    /// when identify cannot be asked about a cookie).
    pub(crate) async fn caller(
        &self,
        route: &Route,
        method: &Method,
        headers: &HeaderMap,
    ) -> Result<Option<Caller>, ApiError> {
        let caller = match bearer_token(headers)? {
            Some(token) => {
                match bearer::verify(&self.ring, &self.tokens, &self.validation, token).await {
                    Ok(caller) => Some(caller),
                    // A route open to all still serves a caller whose token is stale.
                    Err(_) if route.auth == Auth::None => None,
                    Err(e) => return Err(ApiError::new(ErrorCode::Unauthorized, e.to_string())),
                }
            }
            // Cookies only where a login is needed: an open route costs no session query.
            None if route.auth != Auth::None => self.cookie_caller(method, headers).await?,
            None => None,
        };
        match (route.auth, &caller) {
            (Auth::None, _) => Ok(caller),
            (_, None) => Err(ApiError::new(
                ErrorCode::Unauthorized,
                "log in first: send an access token (Authorization: Bearer) or the session cookie",
            )),
            (Auth::Admin, Some(c)) if !c.is_admin() => Err(ApiError::new(
                ErrorCode::Forbidden,
                "this needs an administrator",
            )),
            _ => Ok(caller),
        }
    }

    /// The logged-in user behind a request's session cookie, for a page's header; `None` for
    /// anyone else, and when identify cannot be asked (the docs page is open to all anyway).
    pub(crate) async fn page_user(&self, headers: &HeaderMap) -> Option<SessionUser> {
        match self.gate.visitor(headers).await {
            Ok(Visitor::User(user)) => Some(user),
            _ => None,
        }
    }

    async fn cookie_caller(
        &self,
        method: &Method,
        headers: &HeaderMap,
    ) -> Result<Option<Caller>, ApiError> {
        let user = match self.gate.visitor(headers).await {
            Ok(Visitor::User(user)) => user,
            Ok(Visitor::Anonymous) => return Ok(None),
            Ok(Visitor::Expired) => {
                return Err(ApiError::new(
                    ErrorCode::Unauthorized,
                    "the session has ended; log in again",
                ))
            }
            Err(WebError::Unavailable(cause)) => return Err(ApiError::unavailable(cause)),
            Err(e) => return Err(ApiError::internal(e)),
        };
        if is_unsafe(method) {
            let origin = headers.get(ORIGIN).and_then(|v| v.to_str().ok());
            if !origin.is_some_and(|o| self.presence.origin_allowed(o)) {
                return Err(ApiError::new(
                    ErrorCode::Forbidden,
                    "a write with the session cookie must come from an allowed origin",
                ));
            }
        }
        Ok(Some(Caller {
            username: user.username.unwrap_or_default(),
            user_id: user.user_id,
            role: user.role,
            tenant: None,
        }))
    }
}

/// The bearer token of the `Authorization` header; refused when the header is there but is
/// not `Bearer <token>`.
fn bearer_token(headers: &HeaderMap) -> Result<Option<&str>, ApiError> {
    let Some(value) = headers.get(AUTHORIZATION) else {
        return Ok(None);
    };
    let bad = || {
        ApiError::new(
            ErrorCode::Unauthorized,
            "Authorization must be \"Bearer <token>\"",
        )
    };
    let value = value.to_str().map_err(|_| bad())?;
    let (scheme, token) = value.split_once(' ').ok_or_else(bad)?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(bad());
    }
    Ok(Some(token.trim()))
}

/// Whether a method changes something (and so needs CSRF protection with cookies).
pub(crate) fn is_unsafe(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}
