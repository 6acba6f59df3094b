//! The write queue both backends share: submitted batches in order, their sequence numbers,
//! the committed watermark that [`WriteBarrier`]s wait on, and the gathering of waiting
//! batches into one group commit. It stores nothing; each backend's writer drains it.

use std::sync::Mutex;

use flume::{Receiver, Sender, TryRecvError, TrySendError};
use tokio::sync::{oneshot, watch};

use super::remembered::{self, RequestId};
use super::{BatchResult, StoreError, Write, WriteBarrier, WriteTicket};

/// Most writes committed in one transaction.
pub const MAX_BATCH: usize = 4096;

/// One submitted batch, waiting for the writer.
pub(crate) struct Job {
    pub(crate) seq: u64,
    pub(crate) request: Option<RequestId>,
    pub(crate) writes: Vec<Write>,
    pub(crate) done: oneshot::Sender<BatchResult>,
}

pub(crate) enum Msg {
    Job(Job),
    Stop,
}

/// The submitting side, held by the store.
#[derive(Debug)]
pub(crate) struct Queue {
    /// Bounded, and grows as it fills: an idle unit keeps no room for a full queue (a
    /// preallocated one cost 720 KB at rest). Full: `submit` fails with `unavailable`.
    tx: Sender<Msg>,
    /// The sequence number of the last submitted batch; held while submitting so sequence
    /// order is queue order.
    submitted: Mutex<u64>,
    committed: watch::Receiver<u64>,
}

/// The writer's side: batches to commit, and where to say which are committed.
pub(crate) struct Drain {
    pub(crate) rx: Receiver<Msg>,
    committed: watch::Sender<u64>,
}

/// A queue of at most `capacity` (at least 1) waiting batches.
pub(crate) fn queue(capacity: usize) -> (Queue, Drain) {
    let (tx, rx) = flume::bounded(capacity.max(1));
    let (committed_tx, committed) = watch::channel(0u64);
    let queue = Queue {
        tx,
        submitted: Mutex::new(0),
        committed,
    };
    (
        queue,
        Drain {
            rx,
            committed: committed_tx,
        },
    )
}

impl Queue {
    pub(crate) fn submit(
        &self,
        retry_key: Option<&str>,
        writes: Vec<Write>,
    ) -> Result<WriteTicket, StoreError> {
        let (done, rx) = oneshot::channel();
        let request = retry_key.map(remembered::id);
        let mut last = self.submitted.lock().unwrap_or_else(|p| p.into_inner());
        let seq = *last + 1;
        let job = Job {
            seq,
            request,
            writes,
            done,
        };
        match self.tx.try_send(Msg::Job(job)) {
            Ok(()) => {
                *last = seq;
                Ok(WriteTicket(rx))
            }
            Err(TrySendError::Full(_)) => {
                Err(StoreError::Unavailable("the write queue is full".into()))
            }
            Err(TrySendError::Disconnected(_)) => {
                Err(StoreError::Unavailable("the writer stopped".into()))
            }
        }
    }

    pub(crate) fn barrier(&self) -> WriteBarrier {
        let target = *self.submitted.lock().unwrap_or_else(|p| p.into_inner());
        let mut committed = self.committed.clone();
        Box::pin(async move {
            // An error means the writer is gone; the read then sees whatever is stored.
            let _ = committed.wait_for(|c| *c >= target).await;
        })
    }

    /// Asks the writer to commit what is queued and stop; waits for room if the queue is
    /// full (the writer is draining it). Blocking: for a writer thread's owner.
    pub(crate) fn stop(&self) {
        let _ = self.tx.send(Msg::Stop);
    }

    /// [`stop`](Self::stop) for async callers.
    pub(crate) async fn stop_async(&self) {
        let _ = self.tx.send_async(Msg::Stop).await;
    }
}

impl Drain {
    /// Adds to `first` every batch already waiting, up to [`MAX_BATCH`] writes; true when a
    /// stop request was among them (commit these, then stop).
    pub(crate) fn gather(&self, first: Job) -> (Vec<Job>, bool) {
        let mut writes = first.writes.len();
        let mut jobs = vec![first];
        while writes < MAX_BATCH {
            match self.rx.try_recv() {
                Ok(Msg::Job(j)) => {
                    writes += j.writes.len();
                    jobs.push(j);
                }
                Ok(Msg::Stop) => return (jobs, true),
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
            }
        }
        (jobs, false)
    }

    /// Marks `jobs` committed (barriers up to the last one open) and answers each.
    pub(crate) fn finish(&self, jobs: Vec<Job>, results: Vec<BatchResult>) {
        if let Some(last) = jobs.last() {
            self.committed.send_replace(last.seq);
        }
        for (job, result) in jobs.into_iter().zip(results) {
            let _ = job.done.send(result);
        }
    }
}
