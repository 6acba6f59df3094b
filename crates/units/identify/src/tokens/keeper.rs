//! The key keeper: the unit's service that keeps the published JWK Set and the signing key in
//! step with the store. At start and every [`TokenConfig::key_reload_every`] it reloads the
//! keys ([`KeyRing::prepare`](super::KeyRing::prepare)); when they changed, it publishes the
//! new set retained on `modt/auth/jwks` (QoS 1) and only then lets a new key sign.
//!
//! A set that could not be published is not installed: the old key keeps signing and the
//! next round tries again.
//!
//! [`TokenConfig::key_retire_after`]: super::TokenConfig::key_retire_after

use std::sync::Arc;

use modt::protocol::topics;
use modt::{Client, Outgoing, QoS};
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use super::TokenError;
use crate::core::Identity;

/// Why a round of the keeper failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeeperError {
    /// The keys could not be read or made.
    #[error(transparent)]
    Keys(#[from] TokenError),
    /// The set could not be published.
    #[error("could not publish the JWK Set: {0}")]
    Publish(#[from] modt::error::PublishError),
    /// The set could not be encoded (a bug).
    #[error("could not encode the JWK Set: {0}")]
    Encode(#[from] serde_json::Error),
}

/// One round: reloads the keys and, when they changed, publishes the set and installs it.
/// Returns whether the set or the signing key changed.
pub async fn reload(identity: &Identity, client: &Client) -> Result<bool, KeeperError> {
    let keys = &identity.keys;
    let update = keys
        .prepare(
            identity.store.as_ref(),
            &identity.config.tokens,
            identity.now(),
        )
        .await?;
    let Some(update) = update else {
        return Ok(false);
    };
    let payload = serde_json::to_vec(&update.set)?;
    let msg = Outgoing::new(topics::AUTH_JWKS, payload)
        .qos(QoS::AtLeastOnce)
        .retain(true);
    client.publish(msg).await?;
    info!(
        keys = update.set.keys.len(),
        active = update.active_kid().unwrap_or("none"),
        "published the JWK Set"
    );
    keys.install(update);
    Ok(true)
}

/// Reloads at once and then every reload period until `shutdown` fires (the unit's
/// `token-keys` service).
pub async fn run(identity: Arc<Identity>, client: Client, shutdown: CancellationToken) {
    let every = identity.config.tokens.key_reload_every;
    loop {
        if let Err(e) = reload(&identity, &client).await {
            warn!(error = %e, "could not reload the token signing keys");
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(every) => {}
        }
    }
}
