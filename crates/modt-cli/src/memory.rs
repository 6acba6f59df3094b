//! Giving a runtime's free memory back once the process goes idle (mimalloc builds).
//!
//! mimalloc keeps a page until every block in it is free again, and blocks another thread
//! frees (a message built on one worker, dropped on another or on a store's writer thread)
//! are only counted by the page's own thread when it next allocates there. A worker that
//! goes idle after a burst allocates nothing more, so those pages stayed resident: ~1 MB of
//! the state unit's RSS a minute after 20,000 sets (docs/footprint.md). A worker therefore
//! collects its heap as it parks (tokio's `on_thread_park`), but only when its previous park
//! lasted at least [`IDLE_PARK`] (it is woken by a keep-alive ping or a timer, not by load),
//! and at most once per [`COLLECT_EVERY`] in the whole process. A busy worker, which parks
//! thousands of times a second for microseconds, never collects: `mi_collect(true)` also
//! force-purges every arena of the process, and on glibc `malloc_trim(0)`, which trims the C
//! library's heap where SQLite's page caches and statements live, takes every arena's lock
//! (an arena whose thread had ended kept 1.35 MB it no longer used after the state unit
//! closed its read connections). The park path takes no lock: two clock reads, two
//! thread-local cells and, when idle, one atomic compare-exchange.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Least time between two collections in the process.
pub(crate) const COLLECT_EVERY: Duration = Duration::from_secs(1);

/// How long a worker's previous park must have lasted for the worker to count as idle.
pub(crate) const IDLE_PARK: Duration = Duration::from_secs(1);

/// [`Gate`]'s value before the first collection.
const NEVER: u64 = u64::MAX;

/// When the process last collected, in milliseconds since [`epoch`]; [`NEVER`] before.
static LAST_COLLECT: Gate = Gate(AtomicU64::new(NEVER));

thread_local! {
    /// When this worker parked, while it is parked.
    static PARKED_AT: Cell<Option<Instant>> = const { Cell::new(None) };
    /// How long this worker's previous park lasted.
    static LAST_PARK: Cell<Duration> = const { Cell::new(Duration::ZERO) };
}

/// The process-wide once-per-[`COLLECT_EVERY`] gate: a timestamp, taken by compare-exchange.
struct Gate(AtomicU64);

impl Gate {
    /// True for exactly one caller per [`COLLECT_EVERY`] (`now_ms` since [`epoch`]).
    fn take_turn(&self, now_ms: u64) -> bool {
        let last = self.0.load(Ordering::Relaxed);
        let every = u64::try_from(COLLECT_EVERY.as_millis()).unwrap_or(u64::MAX);
        if last != NEVER && now_ms.saturating_sub(last) < every {
            return false;
        }
        self.0
            .compare_exchange(last, now_ms, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
    }
}

/// The instant [`Gate`]'s milliseconds count from (the first park of the process).
fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

/// True when a worker whose previous park lasted `previous_park` has been idle.
fn idle(previous_park: Duration) -> bool {
    previous_park >= IDLE_PARK
}

/// Run by each runtime worker as it parks: collects if the worker has been idle and the
/// process has not collected for [`COLLECT_EVERY`].
pub(crate) fn on_park() {
    let now = Instant::now();
    PARKED_AT.with(|p| p.set(Some(now)));
    if !idle(LAST_PARK.with(Cell::get)) {
        return;
    }
    let now_ms = u64::try_from(now.saturating_duration_since(epoch()).as_millis()).unwrap_or(0);
    if LAST_COLLECT.take_turn(now_ms) {
        libmimalloc_sys::collect(true);
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        libmimalloc_sys::trim_c_heap();
    }
}

/// Run by each runtime worker as it wakes: remembers how long it was parked.
pub(crate) fn on_unpark() {
    if let Some(at) = PARKED_AT.with(Cell::take) {
        LAST_PARK.with(|p| p.set(at.elapsed()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_process_collects_at_most_once_per_interval() {
        let gate = Gate(AtomicU64::new(NEVER));
        let every = u64::try_from(COLLECT_EVERY.as_millis()).unwrap_or(u64::MAX);
        assert!(gate.take_turn(0), "the first idle park collects");
        assert!(
            !gate.take_turn(0),
            "another worker at the same time does not"
        );
        assert!(!gate.take_turn(every / 2));
        assert!(gate.take_turn(every));
        assert!(!gate.take_turn(every + 1));
    }

    #[test]
    fn only_a_worker_that_was_parked_long_is_idle() {
        assert!(!idle(Duration::ZERO), "a worker's first park");
        assert!(!idle(Duration::from_micros(50)), "a busy worker's park");
        assert!(!idle(IDLE_PARK - Duration::from_millis(1)));
        assert!(idle(IDLE_PARK));
        assert!(idle(Duration::from_secs(5)), "woken by a keep-alive ping");
    }

    #[test]
    fn a_busy_worker_does_not_collect() {
        for _ in 0..1_000 {
            on_unpark();
            on_park();
        }
        assert!(!idle(LAST_PARK.with(Cell::get)));
    }

    #[test]
    fn collecting_on_a_thread_with_a_heap_is_harmless() {
        let v: Vec<u64> = (0..10_000).collect();
        drop(v);
        LAST_PARK.with(|p| p.set(IDLE_PARK));
        on_park();
        on_unpark();
        let w: Vec<u8> = vec![1; 100];
        assert_eq!(w.iter().map(|&b| u32::from(b)).sum::<u32>(), 100);
    }
}
