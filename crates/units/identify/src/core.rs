//! What the identify unit's MQTT handlers and pages share.

use std::sync::Arc;

use crate::config::IdentifyConfig;
use crate::handshake::Handshakes;
use crate::sessions::SessionKey;
use crate::store::{unix_now, IdentityStore, StoreError, User};
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

impl Identity {
    /// The user of the live session stored under `key`, now; counts as a use of it.
    pub async fn session_user(&self, key: &SessionKey) -> Result<Option<User>, StoreError> {
        self.store
            .session_user(key, unix_now(), self.config.session_idle)
            .await
    }
}
