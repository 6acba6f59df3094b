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

/// The quiet waits of [`REST_AFTER`] after a write at whose end the process gives memory back a
/// last time ([`modt::memory::load_ended`]): by then (15 s) the reader threads that ran
/// the load's reads have ended (each after [`IDLE_EXIT`](super::read_threads::IDLE_EXIT) without
/// a read), leaving what they held to the process.
pub(super) const LAST_GIVE_BACK: u32 = 3;

/// What the writer does while its queue is empty, decided from the clock alone.
#[derive(Debug)]
pub(super) struct Idle {
    /// When expired keys were last swept.
    swept_at: Instant,
    /// True once memory has been given back for the last time and every read connection is
    /// closed: nothing is left to do until the next sweep.
    rested: bool,
    /// Quiet waits since the last write, up to [`LAST_GIVE_BACK`].
    rests: u32,
    /// Whether read connections were open at the last rest (or may be, after a write).
    readers_open: bool,
}

impl Idle {
    /// A writer that has just started: rested, its first sweep [`SWEEP_EVERY`] from `now`.
    pub(super) fn new(now: Instant) -> Idle {
        Idle {
            swept_at: now,
            rested: true,
            rests: LAST_GIVE_BACK,
            readers_open: false,
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
        self.rests = 0;
        self.readers_open = true;
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
    /// rest after a write (the load that wrote has ended), when the last read connection has
    /// just closed (reads may go on a while after the writes), and at the
    /// [`LAST_GIVE_BACK`]th rest (the threads that ran the reads have ended).
    pub(super) fn rested(&mut self, open: usize) -> bool {
        let after_write = self.rests < LAST_GIVE_BACK && {
            self.rests += 1;
            self.rests == 1 || self.rests == LAST_GIVE_BACK
        };
        let readers_closed = open == 0 && std::mem::replace(&mut self.readers_open, open > 0);
        self.readers_open = open > 0;
        self.rested = open == 0 && self.rests >= LAST_GIVE_BACK;
        after_write || readers_closed
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
        let mut quiet = later;
        for _ in 0..LAST_GIVE_BACK {
            quiet += REST_AFTER;
            assert!(!idle.sweep_due(quiet), "the sweep is not due yet");
            let _ = idle.rested(0);
        }
        let due = t0 + SWEEP_EVERY;
        assert_eq!(idle.wait(quiet), due - quiet, "sleeps until the sweep");
        assert!(idle.sweep_due(due));
        assert_eq!(idle.wait(due), SWEEP_EVERY);
        assert!(!idle.sweep_due(due), "once per interval");
    }

    /// Which rests give memory back: `open` read connections at each rest after a write.
    fn give_backs(idle: &mut Idle, open: &[usize]) -> Vec<bool> {
        idle.wrote();
        open.iter().map(|&n| idle.rested(n)).collect()
    }

    #[test]
    fn memory_is_given_back_after_the_writes_the_reads_and_their_threads() {
        let mut idle = Idle::new(Instant::now());
        assert!(!idle.rested(0), "no write yet: nothing to give back");
        // Readers closed by the first rest: the first and the last rest.
        assert_eq!(
            give_backs(&mut idle, &[0, 0, 0, 0]),
            [true, false, true, false]
        );
        // The last reader closes at the second rest.
        assert_eq!(
            give_backs(&mut idle, &[2, 0, 0, 0]),
            [true, true, true, false]
        );
        // Reads go on past the last give-back: once more when they stop.
        assert_eq!(
            give_backs(&mut idle, &[1, 1, 1, 1, 0, 0]),
            [true, false, true, false, true, false]
        );
        assert!(idle.wait(Instant::now()) > REST_AFTER, "rested");
    }
}
