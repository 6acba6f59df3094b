//! The ingest unit as a [`Unit`], and what its web side is given ([`WebConfig`]).

use std::time::Duration;

use modt::Unit;
use tokio::net::TcpListener;

/// The unit's name, default id and broker account.
pub const NAME: &str = "ingest";

/// The unit's kind in its presence info.
pub const KIND: &str = "ingest";

/// What the web side (`crate::web::serve`) is given.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// The URL browsers reach the page at; derived from the listener when `None`.
    pub public_url: Option<String>,
    /// The identify unit's URL; found through presence when `None`.
    pub identify_url: Option<String>,
    /// The gateway's URL the page calls; found through presence when `None`.
    pub gateway_url: Option<String>,
    /// How long the page waits for the identify unit before saying it is unavailable.
    pub timeout: Duration,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            public_url: None,
            identify_url: None,
            gateway_url: None,
            timeout: Duration::from_secs(3),
        }
    }
}

/// Builds the ingest unit, serving its page on `listener` when given.
pub fn unit(web: WebConfig, listener: Option<TcpListener>) -> Result<Unit, modt_web::WebError> {
    let unit = Unit::new(NAME, KIND, env!("CARGO_PKG_VERSION"));
    match listener {
        Some(listener) => crate::web::serve(unit, web, listener),
        None => Ok(unit),
    }
}
