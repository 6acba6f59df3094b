//! The hub client: a unit's typed GET/POST/PUT against the hub registry (docs/protocol.md §2).
//!
//! It speaks the legacy protocol only (requests on `modt/{unit}/{GET|POST|PUT}` with a fresh
//! `id`, the answer matched by that `id` on `modt/{unit}/response`), so it works with the Rust
//! hub and with the original Python hub alike. A request that gets no answer in time is not an
//! error: it comes back as a [`HubResponse`] with status 408, as the original design says.
//! The hub itself lives in the `modt-hub` crate.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;
use tracing::debug;

use crate::protocol::{topics, HubMethod, HubRequest, HubResponse};
use crate::{Client, Error, QoS, Subscription, Topic};

/// How long a hub request waits for its answer unless [`HubClient::with_timeout`] says otherwise.
pub const DEFAULT_HUB_TIMEOUT: Duration = Duration::from_secs(5);

/// Requests waiting for their answer, by hub request `id`.
type Pending = Mutex<HashMap<String, oneshot::Sender<HubResponse>>>;

fn lock(p: &Pending) -> std::sync::MutexGuard<'_, HashMap<String, oneshot::Sender<HubResponse>>> {
    // Each update is one insert or remove, so a poisoned lock still holds a consistent map.
    p.lock().unwrap_or_else(|e| e.into_inner())
}

/// A unit's handle on the hub registry. Cheap to clone; clones share one subscription to
/// `modt/{unit}/response`.
///
/// ```no_run
/// use modt::{Client, ClientConfig, HubClient};
/// use modt::protocol::hub_status;
/// # async fn demo() -> Result<(), modt::Error> {
/// let client = Client::connect(ClientConfig::new("127.0.0.1", 1883, "viewer-1")).await?;
/// let hub = HubClient::new(&client, "viewer").await?;
/// hub.post("theme", "dark").await?;
/// let answer = hub.get("theme").await?;
/// match answer.status {
///     hub_status::LIVE | hub_status::DEFAULT => println!("theme = {}", answer.value),
///     hub_status::NOT_FOUND => println!("no theme"),
///     _ => println!("the hub did not answer in time"),
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct HubClient {
    shared: Arc<Shared>,
    timeout: Duration,
}

#[derive(Debug)]
struct Shared {
    client: Client,
    unit: String,
    get: Topic,
    post: Topic,
    put: Topic,
    pending: Arc<Pending>,
    stop: CancellationToken,
}

impl Drop for Shared {
    fn drop(&mut self) {
        // The last handle is gone: end the task that routes answers.
        self.stop.cancel();
    }
}

/// Removes a request's entry when its call ends, however it ends (answer, timeout, cancel).
struct PendingGuard<'a> {
    pending: &'a Pending,
    id: &'a str,
}

impl Drop for PendingGuard<'_> {
    fn drop(&mut self) {
        lock(self.pending).remove(self.id);
    }
}

impl HubClient {
    /// A hub client for `unit` (the `{unit}` level of the hub topics) over `client`.
    /// Subscribes to `modt/{unit}/response` before returning, so no answer can be missed.
    pub async fn new(client: &Client, unit: &str) -> Result<HubClient, Error> {
        let response = topics::hub_response(unit)?;
        let sub = client
            .subscribe(&response.to_filter(), QoS::AtLeastOnce)
            .await?;
        let pending: Arc<Pending> = Arc::default();
        let stop = CancellationToken::new();
        tokio::spawn(route_answers(sub, pending.clone(), stop.clone()));
        Ok(HubClient {
            shared: Arc::new(Shared {
                client: client.clone(),
                unit: unit.to_owned(),
                get: topics::hub_request(unit, HubMethod::Get)?,
                post: topics::hub_request(unit, HubMethod::Post)?,
                put: topics::hub_request(unit, HubMethod::Put)?,
                pending,
                stop,
            }),
            timeout: DEFAULT_HUB_TIMEOUT,
        })
    }

    /// The same client, waiting `timeout` for each answer.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The unit this client asks on behalf of.
    pub fn unit(&self) -> &str {
        &self.shared.unit
    }

    /// Reads `key`: status 200 (live value), 203 (static default), 404 (unknown, value null),
    /// or 408 when the hub did not answer in time.
    pub async fn get(&self, key: impl Into<String>) -> Result<HubResponse, Error> {
        self.call(HubMethod::Get, key.into(), None).await
    }

    /// Creates or replaces `key` with `value`; the hub answers 200 with the stored value once it
    /// is on disk (408 when it did not answer in time).
    pub async fn post(
        &self,
        key: impl Into<String>,
        value: impl Into<Value>,
    ) -> Result<HubResponse, Error> {
        self.call(HubMethod::Post, key.into(), Some(value.into()))
            .await
    }

    /// Replaces `key`, which the hub must already know (a live value or a default): 200 with the
    /// stored value, 404 (nothing stored) when it does not, 408 when it did not answer in time.
    pub async fn put(
        &self,
        key: impl Into<String>,
        value: impl Into<Value>,
    ) -> Result<HubResponse, Error> {
        self.call(HubMethod::Put, key.into(), Some(value.into()))
            .await
    }

    /// Sends one request and waits for the answer with its `id`.
    /// Errors only when the request cannot be sent or the client has shut down.
    async fn call(
        &self,
        method: HubMethod,
        key: String,
        value: Option<Value>,
    ) -> Result<HubResponse, Error> {
        let shared = &self.shared;
        let topic = match method {
            HubMethod::Get => &shared.get,
            HubMethod::Post => &shared.post,
            HubMethod::Put => &shared.put,
        };
        let id = uuid::Uuid::new_v4().simple().to_string();
        let (tx, rx) = oneshot::channel();
        lock(&shared.pending).insert(id.clone(), tx);
        let _guard = PendingGuard {
            pending: &shared.pending,
            id: &id,
        };
        let request = HubRequest::new(id.clone(), key.clone(), value);
        debug!(%topic, %id, "hub request");
        shared.client.publish_json(topic, &request).await?;
        match tokio::time::timeout(self.timeout, rx).await {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(_)) => Err(Error::Closed),
            Err(_) => Ok(HubResponse::timed_out(id.clone(), key)),
        }
    }
}

/// Hands each answer on `sub` to the request waiting for its `id`. Answers nobody here waits
/// for (another instance of the same unit, or one that arrived after its timeout) are ignored.
async fn route_answers(mut sub: Subscription, pending: Arc<Pending>, stop: CancellationToken) {
    loop {
        let msg = tokio::select! {
            _ = stop.cancelled() => break,
            m = sub.recv() => match m { Some(m) => m, None => break },
        };
        match msg.json::<HubResponse>() {
            Ok(answer) => {
                if let Some(tx) = lock(&pending).remove(&answer.id) {
                    let _ = tx.send(answer);
                }
            }
            Err(e) => {
                debug!(topic = %msg.topic, error = %e, "ignoring a hub answer that does not decode")
            }
        }
    }
    // Waiters get `Closed` instead of waiting out their timeout.
    lock(&pending).clear();
}
