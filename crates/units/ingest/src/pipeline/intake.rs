//! The queue between the connection tasks and the writer, and the count of what it shed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;

use super::{INGEST_QUEUE, MAX_SHED_TOPICS};
use crate::model::Received;

/// A QoS 1 message to acknowledge on its external broker once stored.
pub struct Ack {
    /// The connection's client.
    pub client: rumqttc::AsyncClient,
    /// The message (its packet id and QoS).
    pub publish: rumqttc::Publish,
}

impl std::fmt::Debug for Ack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ack")
            .field("pkid", &self.publish.pkid)
            .finish()
    }
}

/// A received message and, for QoS 1, what acknowledges it.
#[derive(Debug)]
pub struct Queued {
    /// The message, parsed.
    pub received: Received,
    /// Sent after the batch holding it is committed.
    pub ack: Option<Ack>,
}

/// Shed messages of one topic since the last batch.
#[derive(Debug, Clone, Default)]
pub struct Shed {
    /// How many.
    pub count: u64,
    /// The first one's arrival, milliseconds since the epoch.
    pub first_ms: i64,
    /// The last one's.
    pub last_ms: i64,
    /// The last one's payload start.
    pub sample: String,
}

/// Shed messages by (connection, topic), at most [`MAX_SHED_TOPICS`] topics.
pub type ShedMap = HashMap<(String, String), Shed>;

/// The sending side, one clone per connection task.
#[derive(Debug, Clone)]
pub struct Intake {
    tx: mpsc::Sender<Queued>,
    shed: Arc<Mutex<ShedMap>>,
}

impl Intake {
    /// A queue of [`INGEST_QUEUE`] messages; the receiving side goes to the writer.
    pub fn new() -> (Intake, mpsc::Receiver<Queued>, Arc<Mutex<ShedMap>>) {
        Intake::with_capacity(INGEST_QUEUE)
    }

    /// A queue of `capacity` messages (tests).
    pub fn with_capacity(capacity: usize) -> (Intake, mpsc::Receiver<Queued>, Arc<Mutex<ShedMap>>) {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        let shed = Arc::new(Mutex::new(ShedMap::new()));
        (
            Intake {
                tx,
                shed: shed.clone(),
            },
            rx,
            shed,
        )
    }

    /// Queues a QoS 1 message, waiting for room. `false`: the writer is gone.
    pub async fn send(&self, queued: Queued) -> bool {
        self.tx.send(queued).await.is_ok()
    }

    /// Queues a QoS 0 message, or sheds it (counted) when the queue is full.
    pub fn offer(&self, queued: Queued) {
        match self.tx.try_send(queued) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(q) | mpsc::error::TrySendError::Closed(q)) => {
                metrics::counter!("modt_ingest_shed_total").increment(1);
                self.count_shed(q.received);
            }
        }
    }

    fn count_shed(&self, r: Received) {
        let mut shed = self.shed.lock().unwrap_or_else(|p| p.into_inner());
        let key = (r.connection_id, r.topic);
        if !shed.contains_key(&key) && shed.len() >= MAX_SHED_TOPICS {
            return;
        }
        let entry = shed.entry(key).or_insert_with(|| Shed {
            first_ms: r.at_ms,
            ..Shed::default()
        });
        entry.count += 1;
        entry.last_ms = r.at_ms;
        entry.sample = r.sample;
    }
}
