//! Every setting of the identify unit, with the defaults a local setup wants.

use std::time::Duration;

use crate::throttle::ThrottleConfig;
use crate::tokens::TokenConfig;

/// The identify unit's settings.
#[derive(Debug, Clone)]
pub struct IdentifyConfig {
    /// The URL browsers reach the pages at (decides the cookie's `Secure` flag); when `None`,
    /// it is derived from the listener's address.
    pub public_url: Option<String>,
    /// A `Domain` for the session cookie, to share it across subdomains (default: host only,
    /// which every port of the same host shares).
    pub cookie_domain: Option<String>,
    /// A session unused this long expires.
    pub session_idle: Duration,
    /// A session expires this long after login, used or not.
    pub session_max_age: Duration,
    /// How long the waiting page waits for an app to announce `modt/app/ready`.
    pub handshake_timeout: Duration,
    /// Failed-login limits.
    pub throttle: ThrottleConfig,
    /// Whether `/register` creates accounts (else only `modt users add` does).
    pub registration: bool,
    /// Take the client address from `X-Forwarded-For` (only behind a proxy you run).
    pub trust_proxy: bool,
    /// The token API's lifetimes, issuer and audience.
    pub tokens: TokenConfig,
}

impl Default for IdentifyConfig {
    fn default() -> Self {
        IdentifyConfig {
            public_url: None,
            cookie_domain: None,
            session_idle: Duration::from_secs(2 * 3600),
            session_max_age: Duration::from_secs(7 * 24 * 3600),
            handshake_timeout: Duration::from_secs(10),
            throttle: ThrottleConfig::default(),
            registration: true,
            trust_proxy: false,
            tokens: TokenConfig::default(),
        }
    }
}
