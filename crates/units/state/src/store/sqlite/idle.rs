//! The writer's idle schedule: how long it waits for a write, and when a quiet queue means
//! sweeping expired keys. The sweep keeps its own clock ([`SWEEP_EVERY`]), apart from giving
//! memory back ([`REST_AFTER`]): reads that keep a connection open keep the writer from
//! resting, and must not keep it from sweeping.

use std::time::{Duration, Instant};

/// How often an idle writer deletes expired keys (reads already hide them), and how often
/// any writer forgets requests older than [`REMEMBER_REQUESTS`](crate::store::REMEMBER_REQUESTS).
pub(super) const SWEEP_EVERY: Duration = Duration::from_secs(60);

/// How long after its last write the writer gives memory back: its page cache
/// (`PRAGMA shrink_memory`), and the read connections unused as long (closed). A burst's
/// caches then leave with the burst (issue 19: back near idle RSS within a minute); they
/// fill again on demand, and a steady load, which writes more often, keeps them.
pub(crate) const REST_AFTER: Duration = Duration::from_secs(5);

/// What the writer does while its queue is empty, decided from the clock alone.
#[derive(Debug)]
pub(super) struct Idle {
    /// When expired keys were last swept.
    swept_at: Instant,
    /// True once memory has been given back and every read connection is closed: nothing
    /// is left to do until the next sweep.
    rested: bool,
    /// False from a write until the first rest after it.
    load_over: bool,
}

impl Idle {
    /// A writer that has just started: rested, its first sweep [`SWEEP_EVERY`] from `now`.
    pub(super) fn new(now: Instant) -> Idle {
        Idle {
            swept_at: now,
            rested: true,
            load_over: true,
        }
    }

    /// How long to wait for a write before the next idle work: [`REST_AFTER`] until rested,
    /// then until the next sweep is due.
    pub(super) fn wait(&self, now: Instant) -> Duration {
        if self.rested {
            SWEEP_EVERY.saturating_sub(now.saturating_duration_since(self.swept_at))
        } else {
            REST_AFTER
        }
    }

    /// A write came: memory is to be given back again after the next quiet [`REST_AFTER`].
    pub(super) fn wrote(&mut self) {
        self.rested = false;
        self.load_over = false;
    }

    /// The wait passed without a write. True (and the sweep counted as done) when expired
    /// keys are due to be swept, whether or not the writer has rested.
    pub(super) fn sweep_due(&mut self, now: Instant) -> bool {
        if now.saturating_duration_since(self.swept_at) >= SWEEP_EVERY {
            self.swept_at = now;
            true
        } else {
            false
        }
    }

    /// Memory was given back; `open` read connections are still in use. True when the
    /// process should give back what it freed ([`modt::memory::load_ended`]): at the first
    /// rest after a write (the load that wrote has ended), and again when the last read
    /// connection has just closed (reads may go on a while after the writes).
    pub(super) fn rested(&mut self, open: usize) -> bool {
        let was_rested = std::mem::replace(&mut self.rested, open == 0);
        let first = !std::mem::replace(&mut self.load_over, true);
        first || (self.rested && !was_rested)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads more often than [`REST_AFTER`] keep a read connection open, so the writer
    /// never rests; it still sweeps once [`SWEEP_EVERY`] has passed.
    #[test]
    fn steady_reads_do_not_stop_the_sweep() {
        let t0 = Instant::now();
        let mut idle = Idle::new(t0);
        idle.wrote();
        let mut now = t0;
        let mut sweeps = Vec::new();
        for _ in 0..30 {
            now += idle.wait(now);
            if idle.sweep_due(now) {
                sweeps.push(now - t0);
            }
            let _ = idle.rested(1);
        }
        assert_eq!(idle.wait(now), REST_AFTER, "never rested");
        assert_eq!(
            sweeps,
            vec![SWEEP_EVERY, SWEEP_EVERY * 2],
            "30 waits of 5 s"
        );
    }

    #[test]
    fn a_rested_writer_waits_for_the_next_sweep_only() {
        let t0 = Instant::now();
        let mut idle = Idle::new(t0);
        assert_eq!(idle.wait(t0), SWEEP_EVERY);
        idle.wrote();
        let later = t0 + Duration::from_secs(20);
        assert_eq!(idle.wait(later), REST_AFTER);
        let quiet = later + REST_AFTER;
        assert!(!idle.sweep_due(quiet), "the sweep is not due yet");
        assert!(
            idle.rested(0),
            "the first rest after the write ends the load"
        );
        let due = t0 + SWEEP_EVERY;
        assert_eq!(idle.wait(quiet), due - quiet, "sleeps until the sweep");
        assert!(idle.sweep_due(due));
        assert_eq!(idle.wait(due), SWEEP_EVERY);
        assert!(!idle.sweep_due(due), "once per interval");
    }

    #[test]
    fn a_load_ends_after_the_writes_and_again_when_the_reads_end() {
        let t0 = Instant::now();
        let mut idle = Idle::new(t0);
        assert!(!idle.rested(0), "no write yet: no load ended");
        idle.wrote();
        idle.wrote();
        assert!(
            idle.rested(2),
            "the first rest after writes, readers open or not"
        );
        assert!(!idle.rested(1), "a later rest with readers still open");
        assert!(idle.rested(0), "the last reader has closed");
        assert!(!idle.rested(0), "nothing more to give back");
        idle.wrote();
        assert!(idle.rested(0), "the next load");
        assert!(!idle.rested(0));
    }
}
