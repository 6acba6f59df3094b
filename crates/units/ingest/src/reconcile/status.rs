//! Where connection states go: the live board ([`Statuses`], for the API), the connection
//! log (database), a structured log line, and the retained `modt/ingest/status/{id}`.
//! Reasons never hold a secret: they are made from error kinds and the broker's refusal
//! codes, never from the connection's settings.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use modt::protocol::ingest::{ConnectionState, ConnectionStatus};
use modt::protocol::topics;
use modt::Outgoing;

use crate::model::{now_ms, timestamp};
use crate::store::IngestStore;

/// Each connection's last status.
#[derive(Debug, Clone, Default)]
pub struct Statuses(Arc<Mutex<HashMap<String, ConnectionStatus>>>);

impl Statuses {
    /// The status of `id`: what was last reported, else stopped.
    pub fn get(&self, id: &str) -> ConnectionStatus {
        let map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        map.get(id).cloned().unwrap_or_else(|| stopped(id, None))
    }

    fn set(&self, status: ConnectionStatus) {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        map.insert(status.connection_id.clone(), status);
    }

    fn remove(&self, id: &str) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).remove(id);
    }
}

/// A stopped status, now.
pub fn stopped(id: &str, reason: Option<String>) -> ConnectionStatus {
    ConnectionStatus {
        connection_id: id.to_owned(),
        state: ConnectionState::Stopped,
        reason,
        attempt: 0,
        since: timestamp(now_ms()),
        next_attempt_at: None,
    }
}

/// Reports state changes everywhere they go.
#[derive(Debug, Clone)]
pub struct StatusSink {
    /// The live board.
    pub statuses: Statuses,
    /// The connection log.
    pub store: Arc<dyn IngestStore>,
    /// Where the retained status is published (`None`: nowhere).
    pub client: Option<modt::Client>,
}

impl StatusSink {
    /// Records `status` (a change of state or reason).
    pub async fn report(&self, status: ConnectionStatus) {
        tracing::info!(
            connection = %status.connection_id,
            state = ?status.state,
            reason = status.reason.as_deref().unwrap_or(""),
            attempt = status.attempt,
            "ingest connection state"
        );
        self.statuses.set(status.clone());
        if let Err(e) = self.store.log(status.clone()).await {
            tracing::warn!(error = %e, connection = %status.connection_id, "could not write the connection log");
        }
        self.publish(&status.connection_id, Some(&status)).await;
    }

    /// Forgets a deleted connection: its retained status is cleared.
    pub async fn forget(&self, id: &str) {
        self.statuses.remove(id);
        self.publish(id, None).await;
    }

    async fn publish(&self, id: &str, status: Option<&ConnectionStatus>) {
        let Some(client) = &self.client else { return };
        let Ok(topic) = topics::ingest_status(id) else {
            return;
        };
        let payload = match status.map(modt::protocol::encode) {
            None => Vec::new(),
            Some(Ok(bytes)) => bytes,
            Some(Err(e)) => {
                tracing::warn!(error = %e, "could not encode a connection status");
                return;
            }
        };
        if let Err(e) = client
            .publish(Outgoing::new(topic, payload).retain(true))
            .await
        {
            tracing::warn!(error = %e, connection = id, "could not publish a connection status");
        }
    }
}
