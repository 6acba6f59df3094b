//! The reconciler: desired connections (the active rows) against actual ones (running
//! connection tasks), compared on every configuration change ([`Reconciler::poke`], so a
//! start or stop takes effect at once) and on a periodic sweep (`--ingest-sweep`, 30 s).
//! It starts what is missing, stops what was disabled or deleted, and restarts what
//! changed (a new version). Each connection task reconnects by itself with backoff.
//!
//! - `connection`: one connection's task. `mqtt`: its client options and failure words.
//! - `backoff`: reconnection delays. `status`: where states go (board, log, retained topic).

pub mod backoff;
pub mod connection;
pub mod mqtt;
pub mod status;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::parse::Registry;
use crate::pipeline::Intake;
use crate::secret::SecretKey;
use crate::store::{IngestStore, StoredConnection};
use connection::ConnectionTask;
pub use status::{StatusSink, Statuses};

/// How long a stopping connection task may take to say goodbye.
pub const STOP_GRACE: Duration = Duration::from_secs(2);

/// Wakes the reconciler: cheap to clone, for the API handlers.
#[derive(Debug, Clone, Default)]
pub struct Poke(Arc<Notify>);

impl Poke {
    /// Asks for a comparison now (several pokes before it runs make one).
    pub fn poke(&self) {
        self.0.notify_one();
    }
}

struct Running {
    version: u64,
    stop: CancellationToken,
    task: JoinHandle<()>,
}

/// Keeps the running connections aligned with the configuration.
#[derive(Debug)]
pub struct Reconciler {
    /// The configuration.
    pub store: Arc<dyn IngestStore>,
    /// Opens the stored passwords.
    pub key: Arc<SecretKey>,
    /// The parsers every connection uses.
    pub registry: Arc<Registry>,
    /// Where connections queue what they receive.
    pub intake: Intake,
    /// Where states go.
    pub sink: StatusSink,
    /// The periodic sweep.
    pub sweep: Duration,
    /// What wakes it.
    pub poke: Poke,
}

impl Reconciler {
    /// Runs until `stop` fires, then stops every connection.
    pub async fn run(self, stop: CancellationToken) {
        let mut running: HashMap<String, Running> = HashMap::new();
        let mut sweep = tokio::time::interval(self.sweep);
        sweep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = stop.cancelled() => break,
                () = self.poke.0.notified() => {}
                _ = sweep.tick() => {}
            }
            self.reconcile(&mut running).await;
        }
        for (_, r) in running.drain() {
            end(r).await;
        }
    }

    /// One comparison of desired and actual.
    async fn reconcile(&self, running: &mut HashMap<String, Running>) {
        let rows = match self.store.connections().await {
            Ok(rows) => rows,
            Err(e) => {
                tracing::warn!(error = %e, "the reconciler cannot read the connections; next sweep retries");
                return;
            }
        };
        let desired: HashMap<&str, &StoredConnection> = rows
            .iter()
            .filter(|r| r.connection.is_active)
            .map(|r| (r.connection.id.as_str(), r))
            .collect();
        let outdated: Vec<String> = running
            .iter()
            .filter(|(id, r)| {
                desired
                    .get(id.as_str())
                    .is_none_or(|d| d.connection.version != r.version)
            })
            .map(|(id, _)| id.clone())
            .collect();
        for id in outdated {
            let Some(r) = running.remove(&id) else {
                continue;
            };
            end(r).await;
            if !desired.contains_key(id.as_str()) {
                if rows.iter().any(|row| row.connection.id == id) {
                    self.sink
                        .report(status::stopped(
                            &id,
                            Some("stopped by configuration".into()),
                        ))
                        .await;
                } else {
                    self.sink.forget(&id).await;
                }
            }
        }
        for (id, row) in desired {
            if running.contains_key(id) {
                continue;
            }
            running.insert(id.to_owned(), self.start(row));
        }
    }

    fn start(&self, row: &StoredConnection) -> Running {
        let stop = CancellationToken::new();
        let password = match &row.sealed_password {
            None => Ok(None),
            Some(sealed) => self
                .key
                .unseal(&row.connection.id, sealed)
                .map(|p| Some(modt::Secret::new(p))),
        };
        let sink = self.sink.clone();
        let id = row.connection.id.clone();
        let task = match password {
            Ok(password) => {
                let task = ConnectionTask {
                    connection: row.connection.clone(),
                    password,
                    registry: self.registry.clone(),
                    intake: self.intake.clone(),
                    sink,
                };
                tokio::spawn(task.run(stop.clone()))
            }
            Err(e) => {
                let reason = e.to_string();
                tokio::spawn(async move {
                    let mut s = status::stopped(&id, Some(reason));
                    s.state = modt::protocol::ingest::ConnectionState::Failed;
                    sink.report(s).await;
                })
            }
        };
        Running {
            version: row.connection.version,
            stop,
            task,
        }
    }
}

async fn end(r: Running) {
    r.stop.cancel();
    let mut task = r.task;
    if tokio::time::timeout(STOP_GRACE, &mut task).await.is_err() {
        task.abort();
    }
}
