//! What the identify unit's MQTT handlers and pages share.

use std::sync::Arc;

use crate::config::IdentifyConfig;
use crate::handshake::Handshakes;
use crate::store::IdentityStore;
use crate::throttle::Throttle;

/// The unit's shared parts. Held in an `Arc`.
#[derive(Debug)]
pub struct Identity {
    /// Accounts and sessions.
    pub store: Arc<dyn IdentityStore>,
    /// Settings.
    pub config: IdentifyConfig,
    /// Logins waiting for an app.
    pub handshakes: Handshakes,
    /// Failed-login counters.
    pub throttle: Throttle,
}

impl Identity {
    /// The shared parts for `store` and `config`.
    pub fn new(store: Arc<dyn IdentityStore>, config: IdentifyConfig) -> Arc<Identity> {
        Arc::new(Identity {
            handshakes: Handshakes::new(config.handshake_timeout),
            throttle: Throttle::new(config.throttle),
            store,
            config,
        })
    }
}
