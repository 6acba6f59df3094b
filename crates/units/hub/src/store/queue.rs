//! The bounded job queue in front of either backend's worker: jobs are submitted without
//! blocking (a full queue refuses with `unavailable`), done one at a time in queue order, and
//! each answered through its own [`Pending`].

use std::sync::{mpsc as std_mpsc, Mutex};

use serde_json::Value;
use tokio::sync::{mpsc, oneshot};

use super::{StoreError, WriteMode};

/// A job's result, once the store's worker has done it.
#[derive(Debug)]
pub struct Pending<T>(oneshot::Receiver<Result<T, StoreError>>);

impl<T> Pending<T> {
    /// Waits for the job; a write's result comes only once it is on disk.
    pub async fn wait(self) -> Result<T, StoreError> {
        self.0
            .await
            .unwrap_or_else(|_| Err(StoreError::Unavailable("the store worker stopped".into())))
    }
}

/// One unit of work for a worker.
#[derive(Debug)]
pub(super) enum Job {
    /// Read a key's live value.
    Get {
        key: String,
        done: oneshot::Sender<Result<Option<Value>, StoreError>>,
    },
    /// Write a value.
    Put {
        key: String,
        value: Value,
        mode: WriteMode,
        done: oneshot::Sender<Result<bool, StoreError>>,
    },
    /// Stop after the jobs queued before this one.
    Stop,
}

/// The worker's end of the queue.
pub(super) struct Jobs {
    pub(super) rx: mpsc::Receiver<Job>,
    /// Dropped (or sent on) when the worker has finished: [`Queue::close`] waits for it.
    pub(super) finished: std_mpsc::SyncSender<()>,
}

/// The submitting end, shared by every handle of a store.
#[derive(Debug)]
pub(super) struct Queue {
    tx: mpsc::Sender<Job>,
    finished: Mutex<Option<std_mpsc::Receiver<()>>>,
}

impl Queue {
    /// A queue holding at most `capacity` waiting jobs (at least 1), and its worker's end.
    pub(super) fn new(capacity: usize) -> (Queue, Jobs) {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        let (finished, wait) = std_mpsc::sync_channel(1);
        let queue = Queue {
            tx,
            finished: Mutex::new(Some(wait)),
        };
        (queue, Jobs { rx, finished })
    }

    fn submit(&self, job: Job) -> Result<(), StoreError> {
        self.tx.try_send(job).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => {
                StoreError::Unavailable("the store queue is full".into())
            }
            mpsc::error::TrySendError::Closed(_) => {
                StoreError::Unavailable("the store is closed".into())
            }
        })
    }

    /// Queues a read of `key`.
    pub(super) fn get(&self, key: String) -> Result<Pending<Option<Value>>, StoreError> {
        let (done, rx) = oneshot::channel();
        self.submit(Job::Get { key, done })?;
        Ok(Pending(rx))
    }

    /// Queues a write of `value` under `key`.
    pub(super) fn put(
        &self,
        key: String,
        value: Value,
        mode: WriteMode,
    ) -> Result<Pending<bool>, StoreError> {
        let (done, rx) = oneshot::channel();
        self.submit(Job::Put {
            key,
            value,
            mode,
            done,
        })?;
        Ok(Pending(rx))
    }

    /// Asks the worker to stop after every queued job and waits until it has. Blocking (off
    /// the async runtime). A second call returns at once.
    pub(super) fn close(&self) {
        let wait = self
            .finished
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(wait) = wait {
            // Waits for room in the queue; the worker is draining it. An error means the
            // worker is already gone.
            let _ = self.tx.blocking_send(Job::Stop);
            // Returns when the worker signals or drops its end.
            let _ = wait.recv();
        }
    }
}
