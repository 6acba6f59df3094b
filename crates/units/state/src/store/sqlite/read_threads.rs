//! The threads that run reads: at most [`READERS`] of them, started as reads come and ended
//! after [`IDLE_EXIT`] without one, taking jobs from one bounded queue ([`READ_QUEUE`]).
//!
//! Why threads of their own rather than tokio's blocking pool: each read that found every pool
//! thread busy took a new one, and opened a connection of its own; under 64 gets in flight the
//! state unit ran 70 threads, and each left a C-library heap arena (SQLite allocates with
//! `malloc`) behind once it ended (docs/footprint.md). Here reads past [`READERS`] wait in the
//! queue for a thread, so a load costs at most [`READERS`] threads, connections and arenas.
//!
//! Owner and shutdown: [`ReadThreads`] holds the queue's only sender; when it is dropped (the
//! store with it), each thread finishes the jobs already queued and ends.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use flume::RecvTimeoutError;
use rusqlite::Connection;

use super::reader::ReadPool;
use crate::store::StoreError;

/// Reads run at once, at most: threads, and so read connections and C-library arenas.
/// SQLite in WAL mode reads beside the writer; more than the machine's cores gains nothing.
pub(crate) const READERS: usize = 4;

/// Reads waiting for a thread, at most; one more waits (asynchronously) for room. The unit's
/// own in-flight limit keeps it from filling in practice.
pub(crate) const READ_QUEUE: usize = 256;

/// How long a reader thread waits for a read before it ends.
pub(crate) const IDLE_EXIT: Duration = Duration::from_secs(5);

/// A read, carrying where its answer goes.
type Job = Box<dyn FnOnce(&ReadPool) + Send>;

/// Runs reads on at most `readers` threads of its own (see the module docs).
#[derive(Debug)]
pub(crate) struct ReadThreads {
    tx: flume::Sender<Job>,
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    rx: flume::Receiver<Job>,
    pool: Arc<ReadPool>,
    readers: usize,
    idle_exit: Duration,
    counts: Mutex<Counts>,
}

/// The threads alive, and how many of them wait for a job.
#[derive(Debug, Default)]
struct Counts {
    live: usize,
    idle: usize,
}

impl ReadThreads {
    /// Reads on `pool`'s connections, [`READERS`] at once, [`READ_QUEUE`] waiting.
    pub(crate) fn new(pool: Arc<ReadPool>) -> ReadThreads {
        ReadThreads::with_limits(pool, READERS, READ_QUEUE, IDLE_EXIT)
    }

    fn with_limits(
        pool: Arc<ReadPool>,
        readers: usize,
        queue: usize,
        idle_exit: Duration,
    ) -> ReadThreads {
        let (tx, rx) = flume::bounded(queue);
        let shared = Arc::new(Shared {
            rx,
            pool,
            readers: readers.max(1),
            idle_exit,
            counts: Mutex::new(Counts::default()),
        });
        ReadThreads { tx, shared }
    }

    /// Runs `f` on a read connection on one of the reader threads and returns its result.
    /// Waits for a turn when [`READERS`] reads are running, and for room when [`READ_QUEUE`]
    /// more wait.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |pool: &ReadPool| {
            // The asker may have gone (a cancelled request): nothing to answer.
            let _ = answer.send(pool.with(f));
        });
        self.tx
            .send_async(job)
            .await
            .map_err(|_| StoreError::Unavailable("the reader threads have stopped".into()))?;
        self.shared.start_if_needed();
        answered
            .await
            .map_err(|_| StoreError::Unavailable("a read ended without an answer".into()))?
    }

    /// Reader threads alive now.
    #[cfg(test)]
    fn live(&self) -> usize {
        self.shared.counts().live
    }
}

impl Shared {
    fn counts(&self) -> MutexGuard<'_, Counts> {
        self.counts.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts a thread when more reads wait than threads are idle and the bound allows one.
    /// Called after queueing a read; a thread ends only under the same lock and only when no
    /// read waits, so a queued read always has a thread that will take it.
    fn start_if_needed(self: &Arc<Self>) {
        let mut counts = self.counts();
        if self.rx.len() <= counts.idle || counts.live >= self.readers {
            return;
        }
        let shared = self.clone();
        let started = std::thread::Builder::new()
            .name("modt-state-reader".into())
            .spawn(move || shared.serve());
        match started {
            Ok(_) => {
                counts.live += 1;
                counts.idle += 1;
            }
            Err(e) if counts.live == 0 => {
                drop(counts);
                tracing::error!(error = %e, "cannot start a reader thread; failing the waiting reads");
                // Dropping a job drops its answer's sender: its asker gets an error.
                while self.rx.try_recv().is_ok() {}
            }
            Err(e) => tracing::warn!(error = %e, "cannot start another reader thread"),
        }
    }

    /// A reader thread's loop: takes reads until none came for `idle_exit` or the queue closed.
    fn serve(self: Arc<Self>) {
        let mut leaving = Leaving {
            shared: &self,
            idle: true,
            counted_off: false,
        };
        loop {
            match self.rx.recv_timeout(self.idle_exit) {
                Ok(job) => {
                    leaving.set_idle(false);
                    job(&self.pool);
                    leaving.set_idle(true);
                }
                Err(RecvTimeoutError::Timeout) => {
                    // Under the lock `start_if_needed` takes after queueing a read: either
                    // that read is seen here, or this thread is off the counts there.
                    let mut counts = self.counts();
                    if self.rx.is_empty() {
                        counts.live = counts.live.saturating_sub(1);
                        counts.idle = counts.idle.saturating_sub(1);
                        leaving.counted_off = true;
                        return;
                    }
                }
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
    }
}

/// Keeps a reader thread's part of [`Counts`] right however the thread ends (a read that
/// panicked included).
struct Leaving<'a> {
    shared: &'a Shared,
    /// Whether the thread counts as idle now.
    idle: bool,
    /// Whether the thread took itself off the counts already (ending when idle).
    counted_off: bool,
}

impl Leaving<'_> {
    fn set_idle(&mut self, idle: bool) {
        let mut counts = self.shared.counts();
        if idle {
            counts.idle += 1;
        } else {
            counts.idle = counts.idle.saturating_sub(1);
        }
        self.idle = idle;
    }
}

impl Drop for Leaving<'_> {
    fn drop(&mut self) {
        if self.counted_off {
            return;
        }
        let mut counts = self.shared.counts();
        counts.live = counts.live.saturating_sub(1);
        if self.idle {
            counts.idle = counts.idle.saturating_sub(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Barrier;

    use super::*;
    use crate::store::sqlite::{reader, schema};

    fn threads(
        dir: &tempfile::TempDir,
        readers: usize,
        queue: usize,
        idle_exit: Duration,
    ) -> Result<ReadThreads, StoreError> {
        let path = dir.path().join("state.db");
        drop(schema::open_writer(&path)?);
        let pool = Arc::new(ReadPool::new(path));
        Ok(ReadThreads::with_limits(pool, readers, queue, idle_exit))
    }

    fn temp() -> Result<tempfile::TempDir, StoreError> {
        tempfile::tempdir().map_err(|e| StoreError::Storage(e.to_string()))
    }

    /// Waits (a few ms at a time, 10 s at most) until `done` holds.
    fn eventually(done: impl Fn() -> bool) -> bool {
        (0..10_000).any(|_| {
            std::thread::sleep(Duration::from_millis(1));
            done()
        })
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn reads_past_the_bound_wait_for_a_turn() -> Result<(), StoreError> {
        let dir = temp()?;
        let reads = Arc::new(threads(&dir, 2, 8, IDLE_EXIT)?);
        let running = Arc::new(AtomicUsize::new(0));
        // Two reads meet here while holding their threads; the third must not get one.
        let met = Arc::new(Barrier::new(3));
        let release = Arc::new(Barrier::new(3));
        let tasks: Vec<_> = (0..3)
            .map(|_| {
                let (reads, running) = (reads.clone(), running.clone());
                let (met, release) = (met.clone(), release.clone());
                tokio::spawn(async move {
                    reads
                        .run(move |_| {
                            if running.fetch_add(1, Ordering::SeqCst) < 2 {
                                met.wait();
                                release.wait();
                            }
                            Ok(())
                        })
                        .await
                })
            })
            .collect();
        let reads_met = met.clone();
        tokio::task::spawn_blocking(move || reads_met.wait())
            .await
            .map_err(|e| StoreError::Storage(e.to_string()))?;
        let while_held = (running.load(Ordering::SeqCst), reads.live());
        // Release before asserting, so a failure does not leave threads waiting.
        let reads_release = release.clone();
        tokio::task::spawn_blocking(move || reads_release.wait())
            .await
            .map_err(|e| StoreError::Storage(e.to_string()))?;
        for t in tasks {
            t.await.map_err(|e| StoreError::Storage(e.to_string()))??;
        }
        assert_eq!(while_held, (2, 2), "two reads ran, on two threads");
        assert_eq!(running.load(Ordering::SeqCst), 3, "the third ran after");
        assert!(reads.live() <= 2);
        Ok(())
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn reads_past_the_queue_wait_for_room() -> Result<(), StoreError> {
        let dir = temp()?;
        let reads = Arc::new(threads(&dir, 1, 1, IDLE_EXIT)?);
        let (started_tx, started) = flume::bounded::<()>(1);
        let (go, go_rx) = flume::bounded::<()>(1);
        let holding = {
            let reads = reads.clone();
            tokio::spawn(async move {
                reads
                    .run(move |_| {
                        let _ = started_tx.send(());
                        let _ = go_rx.recv();
                        Ok(())
                    })
                    .await
            })
        };
        started
            .recv_async()
            .await
            .map_err(|e| StoreError::Storage(e.to_string()))?;
        // Polled by hand, so that each has tried to queue when the queue is looked at.
        let mut first = Box::pin(reads.run(|c| reader::get(c, "u", "k")));
        let mut second = Box::pin(reads.run(|c| reader::get(c, "u", "k")));
        let pending = (
            futures::poll!(&mut first).is_pending(),
            futures::poll!(&mut second).is_pending(),
        );
        let queued = reads.shared.rx.len();
        let _ = go.send(());
        holding
            .await
            .map_err(|e| StoreError::Storage(e.to_string()))??;
        assert_eq!(first.await?, None);
        assert_eq!(second.await?, None);
        assert_eq!(pending, (true, true), "both wait while the thread is held");
        assert_eq!(queued, 1, "one read queued, the other waited for room");
        Ok(())
    }

    /// Threads that end as soon as the queue is empty: every read still finds one, however its
    /// queueing falls against a thread's ending.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn reads_never_wait_for_a_thread_that_ended() -> Result<(), StoreError> {
        let dir = temp()?;
        let reads = Arc::new(threads(&dir, 3, 16, Duration::ZERO)?);
        let all = async {
            for _ in 0..200 {
                let batch: Vec<_> = (0..5)
                    .map(|_| {
                        let reads = reads.clone();
                        tokio::spawn(async move { reads.run(|c| reader::get(c, "u", "k")).await })
                    })
                    .collect();
                for t in batch {
                    t.await.map_err(|e| StoreError::Storage(e.to_string()))??;
                }
            }
            Ok::<_, StoreError>(())
        };
        tokio::time::timeout(Duration::from_secs(120), all)
            .await
            .map_err(|_| StoreError::Storage("a read was never run".into()))??;
        assert!(eventually(|| reads.live() == 0), "idle threads end");
        Ok(())
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn threads_end_when_the_store_is_dropped() -> Result<(), StoreError> {
        let dir = temp()?;
        let reads = threads(&dir, 2, 8, Duration::from_secs(3600))?;
        reads.run(|c| reader::get(c, "u", "k")).await?;
        assert_eq!(reads.live(), 1);
        let shared = reads.shared.clone();
        drop(reads);
        assert!(eventually(|| shared.counts().live == 0), "the thread ended");
        Ok(())
    }
}
