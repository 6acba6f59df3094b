//! The writer: takes queued messages in batches (up to [`MAX_BATCH`], or what came within
//! [`FLUSH_EVERY`] of the first, or, while a write is under way, until it ends) and stores
//! each batch in one transaction; then hands the stored batch to the announcer (`announce`),
//! which acknowledges its QoS 1 messages and publishes its device events and dead letters. The three overlap: while one batch is being written, the
//! writer takes the next one from the queue (folding each message in as it comes, up to
//! [`MAX_BATCH`]) and the announcer announces the one before. Batches are written one at a
//! time, in order, and announced in the order they were committed; nothing is acknowledged
//! or announced before its batch is committed. A batch the store refuses is tried again
//! (backing off, the pipeline waiting) until it is stored or `stop` fires.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::announce::{self, Stored};
use super::gather::Gathering;
use super::intake::{Queued, ShedMap};
use super::{
    LimitWatch, FLUSH_EVERY, MAX_BATCH, STORE_RETRY_FIRST, STORE_RETRY_LOG_EVERY, STORE_RETRY_MAX,
};
use crate::store::{Applied, Batch, IngestStore};

/// The one writer of received messages.
#[derive(Debug)]
pub struct Writer {
    /// Where batches go.
    pub store: Arc<dyn IngestStore>,
    /// Where stored changes are announced (`None`: nowhere, in tests of the store path).
    pub client: Option<modt::Client>,
    /// The limits on topics and devices, and what they left out.
    pub limits: LimitWatch,
}

/// A batch being written: its announcements once committed, or `None` if `stop` fired while
/// the store refused it.
type Flight<'a> = Pin<Box<dyn Future<Output = Option<Stored>> + Send + 'a>>;

impl Writer {
    /// Stores what arrives on `rx` until `stop` fires and the queue is empty; returns once
    /// every stored batch is announced.
    pub async fn run(
        self,
        mut rx: mpsc::Receiver<Queued>,
        shed: Arc<Mutex<ShedMap>>,
        stop: CancellationToken,
    ) {
        let (announcer, announcing) = announce::start(self.client.clone());
        let mut next = Gathering::default();
        let mut deadline: Option<Instant> = None;
        let mut flight: Option<Flight<'_>> = None;
        let mut stopping = false;
        loop {
            if stopping {
                while next.len() < MAX_BATCH {
                    let Ok(q) = rx.try_recv() else { break };
                    next.add(q);
                }
            }
            let full = next.len() >= MAX_BATCH;
            let due = next.len() > 0 && (stopping || deadline.is_some_and(|d| Instant::now() >= d));
            if flight.is_none() && (full || due) {
                flight = self.submit(std::mem::take(&mut next), &shed, &stop);
                deadline = None;
                continue;
            }
            if stopping && flight.is_none() {
                // The queue is empty: count what was shed since the last batch, and end.
                if let Some(last) = self.submit(Gathering::default(), &shed, &stop) {
                    hand(last.await, &announcer).await;
                }
                break;
            }
            tokio::select! {
                stored = in_flight(&mut flight), if flight.is_some() => {
                    flight = None;
                    hand(stored, &announcer).await;
                }
                q = rx.recv(), if !stopping && !full => match q {
                    Some(q) => {
                        if next.len() == 0 {
                            deadline = Some(Instant::now() + FLUSH_EVERY);
                        }
                        next.add(q);
                    }
                    None => stopping = true,
                },
                () = sleep_until(deadline), if flight.is_none() && deadline.is_some() && !stopping => {}
                () = stop.cancelled(), if !stopping => stopping = true,
            }
        }
        // The announcer drains what it was handed, then ends.
        drop(announcer);
        let _ = announcing.await;
    }

    /// Starts writing `next` (with the sheds since the last batch), if there is anything.
    fn submit<'a>(
        &'a self,
        next: Gathering,
        shed: &Mutex<ShedMap>,
        stop: &'a CancellationToken,
    ) -> Option<Flight<'a>> {
        let shed = std::mem::take(&mut *shed.lock().unwrap_or_else(|p| p.into_inner()));
        let n = next.len();
        if n == 0 && shed.is_empty() {
            return None;
        }
        let (mut batch, announce) = next.finish(shed);
        batch.limits = self.limits.limits();
        let batch = Arc::new(batch);
        Some(Box::pin(async move {
            let applied = self.apply_until_stored(batch, n, stop).await?;
            metrics::counter!("modt_ingest_stored_total").increment(n as u64);
            self.limits.note(&applied);
            Some(Stored { announce, applied })
        }))
    }

    /// Stores `batch` (`n` messages), trying again after [`STORE_RETRY_FIRST`], doubling up
    /// to [`STORE_RETRY_MAX`], for as long as the store refuses it: the pipeline waits
    /// meanwhile, so batches stay in order and nothing is acknowledged out of turn. `None`:
    /// `stop` fired first; the batch is given up unacknowledged (a QoS 1 broker sends its
    /// messages again to the next session).
    async fn apply_until_stored(
        &self,
        batch: Arc<Batch>,
        n: usize,
        stop: &CancellationToken,
    ) -> Option<Applied> {
        let mut wait = STORE_RETRY_FIRST;
        let mut failures: u64 = 0;
        let mut logged: Option<Instant> = None;
        loop {
            let e = match self.store.apply(batch.clone()).await {
                Ok(applied) => {
                    if failures > 0 {
                        tracing::info!(
                            failures,
                            messages = n,
                            "stored a batch of ingested messages after the store refused it"
                        );
                    }
                    return Some(applied);
                }
                Err(e) => e,
            };
            failures += 1;
            metrics::counter!("modt_ingest_store_failed_total").increment(1);
            if logged.is_none_or(|t| t.elapsed() >= STORE_RETRY_LOG_EVERY) {
                logged = Some(Instant::now());
                tracing::error!(error = %e, messages = n, failures, retry_in = ?wait, "could not store a batch of ingested messages; retrying, the pipeline waits");
            }
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = stop.cancelled() => {
                    tracing::error!(messages = n, failures, "stopping: a batch the store refused is given up unacknowledged (a QoS 1 broker sends it again to the next session)");
                    return None;
                }
            }
            wait = (wait * 2).min(STORE_RETRY_MAX);
        }
    }
}

/// The batch being written, once it is.
async fn in_flight(flight: &mut Option<Flight<'_>>) -> Option<Stored> {
    match flight {
        Some(f) => f.await,
        None => std::future::pending().await,
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

/// Gives a committed batch to the announcer, waiting for room in its queue.
async fn hand(stored: Option<Stored>, announcer: &mpsc::Sender<Stored>) {
    if let Some(stored) = stored {
        if announcer.send(stored).await.is_err() {
            tracing::error!("the ingest announcer has stopped: a stored batch was not announced");
        }
    }
}
