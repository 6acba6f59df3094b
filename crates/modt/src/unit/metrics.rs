//! A unit's counters, reported by ping (docs/protocol.md §4).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// Counters a unit keeps while it runs.
#[derive(Debug)]
pub struct Metrics {
    started: Instant,
    handled: AtomicU64,
    errors: AtomicU64,
    dead_letters: AtomicU64,
    in_flight: AtomicU64,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            started: Instant::now(),
            handled: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            dead_letters: AtomicU64::new(0),
            in_flight: AtomicU64::new(0),
        }
    }
}

/// A copy of the counters at one moment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MetricsSnapshot {
    /// Seconds since start.
    pub uptime_secs: f64,
    /// Messages handled.
    pub handled: u64,
    /// Handlings that failed.
    pub errors: u64,
    /// Messages dead-lettered.
    pub dead_letters: u64,
    /// Messages being handled.
    pub in_flight: u64,
}

impl Metrics {
    pub(crate) fn begin(&self) {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn end(&self, ok: bool) {
        self.in_flight.fetch_sub(1, Ordering::Relaxed);
        self.handled.fetch_add(1, Ordering::Relaxed);
        if !ok {
            self.errors.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub(crate) fn dead_lettered(&self) {
        self.dead_letters.fetch_add(1, Ordering::Relaxed);
    }

    /// Reads all counters.
    pub fn snapshot(&self) -> MetricsSnapshot {
        MetricsSnapshot {
            uptime_secs: self.started.elapsed().as_secs_f64(),
            handled: self.handled.load(Ordering::Relaxed),
            errors: self.errors.load(Ordering::Relaxed),
            dead_letters: self.dead_letters.load(Ordering::Relaxed),
            in_flight: self.in_flight.load(Ordering::Relaxed),
        }
    }
}
