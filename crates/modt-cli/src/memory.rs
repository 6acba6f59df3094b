//! Giving a runtime worker's free memory back when it goes idle (mimalloc builds).
//!
//! mimalloc keeps a page until every block in it is free again, and blocks another thread
//! frees (a message built on one worker, dropped on another or on a store's writer thread)
//! are only counted by the page's own thread when it next allocates there. A worker that
//! goes idle after a burst allocates nothing more, so those pages stayed resident: ~1 MB of
//! the state unit's RSS a minute after 20,000 sets (docs/footprint.md). Each worker now
//! collects its own heap when it parks (tokio's `on_thread_park`), at most once per
//! [`COLLECT_EVERY`], so a busy worker, which parks thousands of times a second, pays for it
//! once a second. On glibc it also trims the C library's heap, where SQLite's page caches and
//! statements live: an arena whose thread has ended (a blocking-pool thread that ran reads)
//! kept 1.35 MB it no longer used after the state unit closed those connections.

use std::cell::Cell;
use std::time::{Duration, Instant};

/// Least time between two collections on one worker thread.
pub(crate) const COLLECT_EVERY: Duration = Duration::from_secs(1);

thread_local! {
    /// When this thread last collected.
    static LAST: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// Run by each runtime worker as it parks: collects its heap if [`COLLECT_EVERY`] has passed.
pub(crate) fn on_park() {
    let now = Instant::now();
    if LAST.with(|last| take_turn(last, now)) {
        libmimalloc_sys::collect(true);
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        libmimalloc_sys::trim_c_heap();
    }
}

/// True (and `last` set to `now`) when a collection is due.
fn take_turn(last: &Cell<Option<Instant>>, now: Instant) -> bool {
    match last.get() {
        Some(t) if now.saturating_duration_since(t) < COLLECT_EVERY => false,
        _ => {
            last.set(Some(now));
            true
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_worker_collects_at_most_once_per_interval() {
        let last = Cell::new(None);
        let t0 = Instant::now();
        assert!(take_turn(&last, t0), "the first park collects");
        assert!(!take_turn(&last, t0 + COLLECT_EVERY / 2));
        assert!(take_turn(&last, t0 + COLLECT_EVERY));
        assert!(!take_turn(&last, t0 + COLLECT_EVERY));
    }

    #[test]
    fn collecting_on_a_thread_with_a_heap_is_harmless() {
        let v: Vec<u64> = (0..10_000).collect();
        drop(v);
        on_park();
        on_park();
        let w: Vec<u8> = vec![1; 100];
        assert_eq!(w.iter().map(|&b| u32::from(b)).sum::<u32>(), 100);
    }
}
