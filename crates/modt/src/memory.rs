//! Giving a process's free memory back once a load has ended.
//!
//! Which allocator a process uses is its binary's choice; when a load has ended is a unit's
//! knowledge. The binary registers how to give memory back ([`set_release`]) and runs
//! [`on_worker_park`] as each runtime worker parks (tokio's `on_thread_park`); a unit calls
//! [`load_ended`] when a burst of its work is over (the state unit's SQLite writer, as it rests
//! after writing: `crates/units/state/src/store/sqlite/idle.rs`). Then the calling thread gives
//! back its own free memory and the process-wide caches are trimmed at once, and each runtime
//! worker gives back its own the next time it parks. Once per [`load_ended`], and never
//! otherwise: a process at rest, or one whose units never call it, does nothing here but one
//! atomic load per park.
//!
//! Why a thread must do it itself: mimalloc keeps a page until every block in it is free, and
//! the blocks other threads free (a message decoded on one worker, dropped on another or on a
//! store's writer thread) are only counted by the page's own thread when it next allocates
//! there; a thread gone quiet after a burst allocates nothing more (docs/footprint.md).

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

/// How a process gives its free memory back (see [`set_release`]).
#[derive(Debug, Clone, Copy)]
pub struct Release {
    /// Gives back the calling thread's free memory (mimalloc: `mi_collect`).
    pub thread: fn(),
    /// Gives back what the whole process holds free, once (glibc: `malloc_trim`).
    pub process: fn(),
}

static RELEASE: OnceLock<Release> = OnceLock::new();

/// How many loads have ended in this process.
static ENDED: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// The count of ended loads this worker has given memory back for.
    static SEEN: Cell<u64> = const { Cell::new(0) };
}

/// Registers how this process gives memory back (the binary, once, before its runtime
/// starts). False when one was registered already (the first stays).
///
/// ```
/// let release = modt::memory::Release { thread: || {}, process: || {} };
/// assert!(modt::memory::set_release(release));
/// assert!(!modt::memory::set_release(release));
/// ```
pub fn set_release(release: Release) -> bool {
    RELEASE.set(release).is_ok()
}

/// A unit's burst of work is over: this thread gives its free memory back, the process its
/// caches, and every runtime worker its own memory as it next parks. Does nothing when the
/// binary registered no [`Release`]. Call it when a load has ended (after a few quiet seconds),
/// not per request: each call costs a walk over the allocator's pages on every thread.
pub fn load_ended() {
    let Some(release) = RELEASE.get() else {
        return;
    };
    ENDED.fetch_add(1, Ordering::Relaxed);
    (release.thread)();
    (release.process)();
}

/// Run by each runtime worker as it parks (tokio's `on_thread_park`): gives the worker's free
/// memory back once after each [`load_ended`]; otherwise one atomic load and nothing more.
pub fn on_worker_park() {
    let ended = ENDED.load(Ordering::Relaxed);
    if SEEN.with(Cell::get) == ended {
        return;
    }
    SEEN.with(|s| s.set(ended));
    if let Some(release) = RELEASE.get() {
        (release.thread)();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    static THREAD_RELEASES: AtomicUsize = AtomicUsize::new(0);
    static PROCESS_RELEASES: AtomicUsize = AtomicUsize::new(0);

    /// One test, as the registration is once per process.
    #[test]
    fn a_worker_gives_back_once_per_ended_load_and_never_otherwise() {
        assert!(set_release(Release {
            thread: || {
                THREAD_RELEASES.fetch_add(1, Ordering::SeqCst);
            },
            process: || {
                PROCESS_RELEASES.fetch_add(1, Ordering::SeqCst);
            },
        }));
        let count = || {
            (
                THREAD_RELEASES.load(Ordering::SeqCst),
                PROCESS_RELEASES.load(Ordering::SeqCst),
            )
        };
        // A worker thread of its own (its own `SEEN`).
        let worker = || std::thread::spawn(on_worker_park).join().unwrap();
        let park_here = || {
            for _ in 0..1000 {
                on_worker_park();
            }
        };
        park_here();
        assert_eq!(count(), (0, 0), "no load has ended: parks do nothing");
        load_ended();
        assert_eq!(count(), (1, 1), "the caller's thread and the process");
        park_here();
        assert_eq!(count(), (2, 1), "this worker, once however often it parks");
        worker();
        assert_eq!(count(), (3, 1), "another worker, once");
        load_ended();
        park_here();
        assert_eq!(
            count(),
            (5, 2),
            "the next load: the caller, then this worker once"
        );
    }
}
