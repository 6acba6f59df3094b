//! The token API of the identify unit (docs/protocol.md, "Tokens"): the claims of an access
//! token ([`AccessClaims`]), the bodies of `/auth/*` and their answer ([`TokenPair`]).
//!
//! Access tokens are JWTs signed with Ed25519 (`alg` `EdDSA`, a `kid` in every header). The
//! public keys are a JWK Set, published retained on `modt/auth/jwks` (`topics::AUTH_JWKS`) and
//! served at `/.well-known/jwks.json`. Refresh tokens are opaque strings.

use serde::{Deserialize, Serialize};

use super::Role;

/// The `iss` of every access token MoDT issues, unless configured otherwise.
pub const DEFAULT_ISSUER: &str = "modt-identify";

/// The `aud` of access tokens for the gateway's API, unless configured otherwise.
pub const DEFAULT_AUDIENCE: &str = "modt-api";

/// The claims of an access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
    /// Subject: the account's `user_id`.
    pub sub: String,
    /// The login name.
    pub name: String,
    /// `user` or `admin`.
    pub role: Role,
    /// The tenant, in multi-tenant systems.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// Issued at (seconds since the Unix epoch).
    pub iat: u64,
    /// Expires at (seconds since the Unix epoch).
    pub exp: u64,
    /// The token's own id.
    pub jti: String,
}

/// The body of `POST /auth/register` and `POST /auth/login`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credentials {
    /// The login name.
    pub username: String,
    /// The password (never logged: `Debug` hides it).
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"<hidden>")
            .finish()
    }
}

/// The body of `POST /auth/refresh` and `POST /auth/logout`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshRequest {
    /// The refresh token (never logged: `Debug` hides it).
    pub refresh_token: String,
}

impl std::fmt::Debug for RefreshRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RefreshRequest { refresh_token: <hidden> }")
    }
}

/// What login, register and refresh answer (the OAuth 2 token response's fields).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenPair {
    /// The access JWT.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// The refresh token; each use replaces it with a new one.
    pub refresh_token: String,
    /// Seconds until the refresh token expires.
    pub refresh_expires_in: u64,
}

impl std::fmt::Debug for TokenPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenPair")
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .field("refresh_expires_in", &self.refresh_expires_in)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_stay_out_of_debug_output() {
        let c = Credentials {
            username: "ann".into(),
            password: "hunter22".into(),
        };
        assert!(!format!("{c:?}").contains("hunter22"));
        let r = RefreshRequest {
            refresh_token: "rt-secret".into(),
        };
        assert!(!format!("{r:?}").contains("rt-secret"));
        let t = TokenPair {
            access_token: "a.b.c".into(),
            token_type: "Bearer".into(),
            expires_in: 300,
            refresh_token: "rt-secret".into(),
            refresh_expires_in: 86400,
        };
        let shown = format!("{t:?}");
        assert!(
            !shown.contains("rt-secret") && !shown.contains("a.b.c"),
            "{shown}"
        );
    }
}
