//! The keys access tokens are checked against: the JWK Set identify publishes retained on
//! `modt/auth/jwks` ([`KeyRing`]), kept current by a watcher task ([`watch`]), refetched (by
//! subscribing again, which brings the retained set back) when a token names an unknown `kid`,
//! at most once per [`REFETCH_INTERVAL`].

use std::collections::HashMap;
use std::sync::{Mutex, RwLock};
use std::time::Duration;

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, JwkSet, KeyAlgorithm};
use jsonwebtoken::DecodingKey;
use modt::protocol::topics;
use modt::{Client, Message, QoS};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

/// Keys kept from one set; further keys are ignored (a set holds the active key and a few
/// retired ones).
pub(crate) const MAX_KEYS: usize = 16;
/// At most one refetch of the key set in this long, however many unknown `kid`s arrive.
pub(crate) const REFETCH_INTERVAL: Duration = Duration::from_secs(10);
/// How long a request with an unknown `kid` waits for a refetched set before it is refused.
pub(crate) const REFETCH_WAIT: Duration = Duration::from_secs(1);

/// The current key set, shared by every request.
pub(crate) struct KeyRing {
    keys: RwLock<Keys>,
    changed: watch::Sender<u64>,
    refetch: mpsc::Sender<()>,
    last_refetch: Mutex<Option<Instant>>,
}

#[derive(Default)]
struct Keys {
    /// The published set as kept (Ed25519 keys with a `kid`), served at
    /// `/.well-known/jwks.json`.
    set: JwkSet,
    by_kid: HashMap<String, DecodingKey>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kids: Vec<String> = self
            .keys
            .read()
            .map(|k| k.by_kid.keys().cloned().collect())
            .unwrap_or_default();
        f.debug_struct("KeyRing")
            .field("kids", &kids)
            .finish_non_exhaustive()
    }
}

impl KeyRing {
    /// An empty ring, and the receiver its watcher takes refetch requests from.
    pub(crate) fn new() -> (KeyRing, mpsc::Receiver<()>) {
        // One pending refetch is enough: more would fetch the same set again.
        let (refetch, rx) = mpsc::channel(1);
        let ring = KeyRing {
            keys: RwLock::default(),
            changed: watch::Sender::new(0),
            refetch,
            last_refetch: Mutex::new(None),
        };
        (ring, rx)
    }

    /// The key for `kid`, if the current set has it.
    pub(crate) fn key(&self, kid: &str) -> Option<DecodingKey> {
        self.keys.read().ok()?.by_kid.get(kid).cloned()
    }

    /// Counts key-set changes: a token verified under one count is known good only while
    /// the count stays the same (the token cache, [`super::cache`]).
    pub(crate) fn generation(&self) -> u64 {
        *self.changed.borrow()
    }

    /// The set as kept, for `/.well-known/jwks.json`.
    pub(crate) fn set(&self) -> JwkSet {
        self.keys.read().map(|k| k.set.clone()).unwrap_or_default()
    }

    /// The key for `kid`, refetching the set once (rate-limited) when it is unknown.
    pub(crate) async fn key_or_refetch(&self, kid: &str) -> Option<DecodingKey> {
        if let Some(key) = self.key(kid) {
            return Some(key);
        }
        let mut changed = self.changed.subscribe();
        changed.borrow_and_update();
        if !self.may_refetch() {
            return None;
        }
        // Full: a refetch is already asked for; wait for it like the others.
        let _ = self.refetch.try_send(());
        let deadline = Instant::now() + REFETCH_WAIT;
        while tokio::time::timeout_at(deadline, changed.changed())
            .await
            .is_ok_and(|r| r.is_ok())
        {
            if let Some(key) = self.key(kid) {
                return Some(key);
            }
        }
        None
    }

    fn may_refetch(&self) -> bool {
        let Ok(mut last) = self.last_refetch.lock() else {
            return false;
        };
        let now = Instant::now();
        if last.is_some_and(|at| now.duration_since(at) < REFETCH_INTERVAL) {
            return false;
        }
        *last = Some(now);
        true
    }

    /// Applies a message from `modt/auth/jwks`: a new set replaces the old; an empty
    /// (retained-deletion) payload clears it; an unreadable one is ignored.
    pub(crate) fn apply(&self, msg: &Message) {
        let keys = if msg.payload.is_empty() {
            Keys::default()
        } else {
            match msg.json::<JwkSet>() {
                Ok(set) => keep_ed25519(set),
                Err(e) => {
                    warn!(error = %e, "ignoring an unreadable JWK Set on {}", topics::AUTH_JWKS);
                    return;
                }
            }
        };
        info!(keys = keys.by_kid.len(), "access-token keys updated");
        if let Ok(mut current) = self.keys.write() {
            *current = keys;
        }
        self.changed.send_modify(|n| *n = n.wrapping_add(1));
    }
}

/// The Ed25519 keys of `set` that have a `kid` (and say `EdDSA` if they name an algorithm).
fn keep_ed25519(set: JwkSet) -> Keys {
    let mut keys = Keys::default();
    for jwk in set.keys {
        if keys.by_kid.len() >= MAX_KEYS {
            debug!("JWK Set longer than {MAX_KEYS} keys; ignoring the rest");
            break;
        }
        let Some(kid) = jwk.common.key_id.clone() else {
            continue;
        };
        if !is_ed25519(&jwk) {
            debug!(%kid, "ignoring a key that is not Ed25519");
            continue;
        }
        match DecodingKey::from_jwk(&jwk) {
            Ok(key) => {
                keys.by_kid.insert(kid, key);
                keys.set.keys.push(jwk);
            }
            Err(e) => debug!(%kid, error = %e, "ignoring an unusable key"),
        }
    }
    keys
}

fn is_ed25519(jwk: &Jwk) -> bool {
    let alg_ok = matches!(jwk.common.key_algorithm, None | Some(KeyAlgorithm::EdDSA));
    let curve_ok = matches!(&jwk.algorithm, AlgorithmParameters::OctetKeyPair(p) if p.curve == EllipticCurve::Ed25519);
    alg_ok && curve_ok
}

/// Keeps `ring` current until `shutdown`: follows `modt/auth/jwks`, and subscribes again when
/// a refetch is asked for (the broker then sends the retained set once more).
pub(crate) async fn watch(
    client: Client,
    ring: std::sync::Arc<KeyRing>,
    mut refetch: mpsc::Receiver<()>,
    shutdown: CancellationToken,
) -> Result<(), modt::Error> {
    loop {
        let mut sub = client
            .subscribe(&topics::AUTH_JWKS.to_filter(), QoS::AtLeastOnce)
            .await?;
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return Ok(()),
                msg = sub.recv() => match msg {
                    Some(msg) => ring.apply(&msg),
                    None => return Ok(()),
                },
                asked = refetch.recv() => match asked {
                    Some(()) => {
                        debug!("refetching the access-token keys");
                        break;
                    }
                    None => return Ok(()),
                },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use bytes::Bytes;

    fn jwks_message(kid: &str) -> Message {
        // An Ed25519 public key (RFC 8037's example), under `kid`.
        let set = serde_json::json!({"keys": [{
            "kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "kid": kid,
            "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
        }, {
            "kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
        }]});
        Message {
            topic: topics::AUTH_JWKS.to_string(),
            payload: Bytes::from(set.to_string()),
            qos: QoS::AtLeastOnce,
            retain: true,
            response_topic: None,
            correlation_data: None,
            user_properties: Vec::new(),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn an_unknown_kid_asks_for_the_set_again_at_most_once_per_interval() {
        let (ring, mut refetch) = KeyRing::new();
        ring.apply(&jwks_message("k1"));
        assert!(ring.key("k1").is_some());
        assert_eq!(
            ring.set().keys.len(),
            1,
            "the key without a kid is not kept"
        );

        assert!(
            ring.key_or_refetch("k2").await.is_none(),
            "waited REFETCH_WAIT"
        );
        assert!(refetch.try_recv().is_ok(), "one refetch asked for");
        assert!(ring.key_or_refetch("k3").await.is_none());
        assert!(refetch.try_recv().is_err(), "not again within the interval");

        tokio::time::advance(REFETCH_INTERVAL).await;
        let ring = std::sync::Arc::new(ring);
        let waiting = {
            let ring = ring.clone();
            tokio::spawn(async move { ring.key_or_refetch("k2").await.is_some() })
        };
        // The refetched set arrives while the request waits: it is used.
        refetch.recv().await.unwrap();
        ring.apply(&jwks_message("k2"));
        assert!(waiting.await.unwrap());
        assert!(ring.key("k1").is_none(), "a new set replaces the old");
    }

    #[test]
    fn an_empty_message_clears_the_set_and_garbage_is_ignored() {
        let (ring, _refetch) = KeyRing::new();
        ring.apply(&jwks_message("k1"));
        let mut garbage = jwks_message("k1");
        garbage.payload = Bytes::from_static(b"{not json");
        ring.apply(&garbage);
        assert!(ring.key("k1").is_some());
        let mut cleared = jwks_message("k1");
        cleared.payload = Bytes::new();
        ring.apply(&cleared);
        assert!(ring.key("k1").is_none());
    }
}
