//! The key keeper: the unit's service that keeps the published JWK Set and the signing key in
//! step with the store. At start and every [`TokenConfig::key_reload_every`] it reloads the
//! keys ([`KeyRing::prepare`](super::KeyRing::prepare)); when they changed, it publishes the
//! new set retained on `modt/auth/jwks` (QoS 1) and only then lets a new key sign.
//!
//! A set that could not be published is not installed: the old key keeps signing and the
//! next round tries again. After every reconnection the keeper publishes the current set
//! again, since a broker that restarted without persistence lost its retained messages.
//!
//! [`TokenConfig::key_retire_after`]: super::TokenConfig::key_retire_after

use std::sync::Arc;

use modt::protocol::topics;
use modt::{Client, ConnectionState, Outgoing, QoS};
use tokio::sync::watch;
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

/// Publishes the set in use again (retained), if there is one.
pub async fn republish(identity: &Identity, client: &Client) -> Result<(), KeeperError> {
    let set = identity.keys.jwks();
    if set.keys.is_empty() {
        return Ok(());
    }
    let msg = Outgoing::new(topics::AUTH_JWKS, serde_json::to_vec(&set)?)
        .qos(QoS::AtLeastOnce)
        .retain(true);
    client.publish(msg).await?;
    Ok(())
}

/// Waits until the client connects again after `seen` (a connection generation); never
/// returns once the client is gone.
async fn reconnected(connection: &mut watch::Receiver<ConnectionState>, seen: &mut u64) {
    loop {
        if connection.changed().await.is_err() {
            return std::future::pending().await;
        }
        let now = *connection.borrow_and_update();
        if now.connected && now.generation != *seen {
            *seen = now.generation;
            return;
        }
    }
}

/// Reloads at once and then every reload period, and republishes after every reconnection,
/// until `shutdown` fires (the unit's `token-keys` service).
pub async fn run(identity: Arc<Identity>, client: Client, shutdown: CancellationToken) {
    let every = identity.config.tokens.key_reload_every;
    let mut connection = client.connection();
    let mut seen = connection.borrow_and_update().generation;
    loop {
        if let Err(e) = reload(&identity, &client).await {
            warn!(error = %e, "could not reload the token signing keys");
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(every) => {}
            _ = reconnected(&mut connection, &mut seen) => {
                match republish(&identity, &client).await {
                    Ok(()) => info!("published the JWK Set again after reconnecting"),
                    Err(e) => warn!(error = %e, "could not publish the JWK Set after reconnecting"),
                }
            }
        }
    }
}
