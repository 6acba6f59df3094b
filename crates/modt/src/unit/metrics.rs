//! A unit's counters: reported by ping (docs/protocol.md §4) and recorded as Prometheus series
//! through the [`metrics`] facade (docs/operations.md, "Metrics and traces").
//!
//! The facade records into whatever recorder the process installed (modt-web's
//! `metrics::install`, which `modt up` and `modt unit` call at start); without one, recording
//! costs nothing and only ping reports. Handles are resolved once per unit, so a message costs
//! a few atomic operations, never a look-up by name.
//!
//! Series, each labelled `unit` (the unit id):
//!
//! | name | type | meaning |
//! |---|---|---|
//! | `modt_unit_handled_total` | counter | messages handled |
//! | `modt_unit_errors_total` | counter | handlings that failed |
//! | `modt_unit_dead_letters_total` | counter | messages dead-lettered |
//! | `modt_unit_in_flight` | gauge | messages being handled |
//! | `modt_broker_connected` | gauge | 1 while the unit's client is connected, else 0 |
//! | `modt_unit_handle_duration_seconds` | histogram | handling time, also labelled `filter` (the route's topic filter) |

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use metrics::{Counter, Gauge, Histogram};

/// Messages handled.
pub const HANDLED_TOTAL: &str = "modt_unit_handled_total";
/// Handlings that failed.
pub const ERRORS_TOTAL: &str = "modt_unit_errors_total";
/// Messages dead-lettered.
pub const DEAD_LETTERS_TOTAL: &str = "modt_unit_dead_letters_total";
/// Messages being handled.
pub const IN_FLIGHT: &str = "modt_unit_in_flight";
/// 1 while the unit's MQTT client is connected to the broker, else 0.
pub const BROKER_CONNECTED: &str = "modt_broker_connected";
/// Time from a message's arrival at its route to the handler's end, per topic filter.
pub const HANDLE_DURATION_SECONDS: &str = "modt_unit_handle_duration_seconds";

/// The label naming the unit (its id) on every series.
pub const UNIT_LABEL: &str = "unit";
/// The label naming a route's topic filter.
pub const FILTER_LABEL: &str = "filter";

/// Counters a unit keeps while it runs.
#[derive(Debug)]
pub struct Metrics {
    started: Instant,
    handled: AtomicU64,
    errors: AtomicU64,
    dead_letters: AtomicU64,
    in_flight: AtomicU64,
    series: Series,
}

/// The unit's Prometheus series (no-ops when nothing records them).
#[derive(Debug)]
struct Series {
    handled: Counter,
    errors: Counter,
    dead_letters: Counter,
    in_flight: Gauge,
    connected: Gauge,
}

impl Default for Metrics {
    /// Counters that only ping reports (no Prometheus series).
    fn default() -> Self {
        Metrics::with_series(Series {
            handled: Counter::noop(),
            errors: Counter::noop(),
            dead_letters: Counter::noop(),
            in_flight: Gauge::noop(),
            connected: Gauge::noop(),
        })
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
    /// Counters for unit `unit_id`, also recorded as its Prometheus series.
    pub fn for_unit(unit_id: &str) -> Self {
        describe();
        let unit = unit_id.to_owned();
        Metrics::with_series(Series {
            handled: metrics::counter!(HANDLED_TOTAL, UNIT_LABEL => unit.clone()),
            errors: metrics::counter!(ERRORS_TOTAL, UNIT_LABEL => unit.clone()),
            dead_letters: metrics::counter!(DEAD_LETTERS_TOTAL, UNIT_LABEL => unit.clone()),
            in_flight: metrics::gauge!(IN_FLIGHT, UNIT_LABEL => unit.clone()),
            connected: metrics::gauge!(BROKER_CONNECTED, UNIT_LABEL => unit),
        })
    }

    fn with_series(series: Series) -> Self {
        Metrics {
            started: Instant::now(),
            handled: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            dead_letters: AtomicU64::new(0),
            in_flight: AtomicU64::new(0),
            series,
        }
    }

    pub(crate) fn begin(&self) {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        self.series.in_flight.increment(1.0);
    }

    pub(crate) fn end(&self, ok: bool) {
        self.in_flight.fetch_sub(1, Ordering::Relaxed);
        self.handled.fetch_add(1, Ordering::Relaxed);
        self.series.in_flight.decrement(1.0);
        self.series.handled.increment(1);
        if !ok {
            self.errors.fetch_add(1, Ordering::Relaxed);
            self.series.errors.increment(1);
        }
    }

    pub(crate) fn dead_lettered(&self) {
        self.dead_letters.fetch_add(1, Ordering::Relaxed);
        self.series.dead_letters.increment(1);
    }

    /// Records whether the unit's client is connected to the broker.
    pub(crate) fn connected(&self, connected: bool) {
        self.series.connected.set(if connected { 1.0 } else { 0.0 });
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

/// The handling-time histogram of one route of unit `unit_id`.
pub(crate) fn route_latency(unit_id: &str, filter: &str) -> Histogram {
    metrics::histogram!(
        HANDLE_DURATION_SECONDS,
        UNIT_LABEL => unit_id.to_owned(),
        FILTER_LABEL => filter.to_owned(),
    )
}

/// Records one handling of `elapsed` on a route's histogram.
pub(crate) fn record_latency(histogram: &Histogram, elapsed: Duration) {
    histogram.record(elapsed.as_secs_f64());
}

/// The series' help texts, given to the recorder (again for each unit: a recorder installed
/// after an earlier unit started still gets them).
fn describe() {
    {
        metrics::describe_counter!(HANDLED_TOTAL, "Messages a unit handled.");
        metrics::describe_counter!(ERRORS_TOTAL, "Handlings that failed.");
        metrics::describe_counter!(DEAD_LETTERS_TOTAL, "Messages dead-lettered as bad input.");
        metrics::describe_gauge!(IN_FLIGHT, "Messages being handled now.");
        metrics::describe_gauge!(
            BROKER_CONNECTED,
            "1 while the unit's MQTT client is connected, else 0."
        );
        metrics::describe_histogram!(
            HANDLE_DURATION_SECONDS,
            metrics::Unit::Seconds,
            "Time to handle a message, per route topic filter."
        );
    }
}
