//! What the store left out for the limits on discovered topics and devices, made visible:
//! counted in metrics (`modt_ingest_topics_over_limit_total`: messages whose new topic was
//! not recorded; `modt_ingest_devices_over_limit_total`: new devices not added, once per
//! batch that brought them), kept for the devices page ([`LimitWatch::report`]), and logged
//! once each time a limit is reached (and once when there is room again).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use serde::Serialize;

use crate::store::{Applied, Limits};

/// The limits and what they left out since the unit started, as the devices page reads
/// them (`GET /api/limits`; the page's own JSON, not on the bus).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IngestLimits {
    /// `--ingest-max-topics`.
    pub max_topics: u64,
    /// Whether the last new topic was left out.
    pub topics_at_limit: bool,
    /// New topics not recorded (once per batch that brought them).
    pub topics_refused: u64,
    /// Messages on them, handled all the same.
    pub messages_unrecorded: u64,
    /// `--ingest-max-devices`.
    pub max_devices: u64,
    /// Whether the last new device was left out.
    pub devices_at_limit: bool,
    /// New devices not added (once per batch that brought them).
    pub devices_refused: u64,
}

/// The limits and what they left out since the unit started. Cheap to clone; the writer
/// notes, the page reads.
#[derive(Debug, Clone)]
pub struct LimitWatch {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    limits: Limits,
    topics_at_limit: AtomicBool,
    messages_unrecorded: AtomicU64,
    topics_refused: AtomicU64,
    devices_at_limit: AtomicBool,
    devices_refused: AtomicU64,
}

impl LimitWatch {
    /// Watches `limits`.
    pub fn new(limits: Limits) -> LimitWatch {
        LimitWatch {
            inner: Arc::new(Inner {
                limits,
                topics_at_limit: AtomicBool::new(false),
                messages_unrecorded: AtomicU64::new(0),
                topics_refused: AtomicU64::new(0),
                devices_at_limit: AtomicBool::new(false),
                devices_refused: AtomicU64::new(0),
            }),
        }
    }

    /// The limits watched.
    pub fn limits(&self) -> Limits {
        self.inner.limits
    }

    /// Counts what one stored batch left out; logs a crossing.
    pub fn note(&self, a: &Applied) {
        let i = &self.inner;
        if a.topics_refused > 0 {
            metrics::counter!("modt_ingest_topics_over_limit_total")
                .increment(a.messages_unrecorded);
            i.messages_unrecorded
                .fetch_add(a.messages_unrecorded, Ordering::Relaxed);
            i.topics_refused
                .fetch_add(a.topics_refused, Ordering::Relaxed);
        }
        let devices = a.devices_refused.len() as u64;
        if devices > 0 {
            metrics::counter!("modt_ingest_devices_over_limit_total").increment(devices);
            i.devices_refused.fetch_add(devices, Ordering::Relaxed);
        }
        crossing(
            &i.topics_at_limit,
            a.topics_refused > 0,
            a.topics_added > 0,
            "discovered topics",
            "--ingest-max-topics",
            i.limits.topics,
        );
        crossing(
            &i.devices_at_limit,
            devices > 0,
            a.devices_added > 0,
            "devices",
            "--ingest-max-devices",
            i.limits.devices,
        );
    }

    /// What the devices page shows.
    pub fn report(&self) -> IngestLimits {
        let i = &self.inner;
        IngestLimits {
            max_topics: i.limits.topics,
            topics_at_limit: i.topics_at_limit.load(Ordering::Relaxed),
            topics_refused: i.topics_refused.load(Ordering::Relaxed),
            messages_unrecorded: i.messages_unrecorded.load(Ordering::Relaxed),
            max_devices: i.limits.devices,
            devices_at_limit: i.devices_at_limit.load(Ordering::Relaxed),
            devices_refused: i.devices_refused.load(Ordering::Relaxed),
        }
    }
}

impl Default for LimitWatch {
    fn default() -> Self {
        LimitWatch::new(Limits::default())
    }
}

/// Logs when `at` flips: on reaching the limit (something refused), and on room again (a
/// new row added with nothing refused).
fn crossing(at: &AtomicBool, refused: bool, added: bool, what: &str, flag: &str, limit: u64) {
    if refused && !at.swap(true, Ordering::Relaxed) {
        tracing::warn!(limit, setting = flag, "the {what} reached their limit: new ones are not recorded (counted), their messages are still handled");
    } else if !refused && added && at.swap(false, Ordering::Relaxed) {
        tracing::info!(limit, "the {what} are under their limit again");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::DeviceKey;

    #[test]
    fn refusals_are_counted_and_the_crossing_remembered() {
        let watch = LimitWatch::new(Limits {
            topics: 2,
            devices: 3,
        });
        watch.note(&Applied {
            topics_added: 2,
            ..Applied::default()
        });
        assert!(!watch.report().topics_at_limit);
        let over = Applied {
            topics_refused: 2,
            messages_unrecorded: 5,
            devices_refused: vec![DeviceKey {
                site: "s".into(),
                gateway: "g".into(),
                datalogger: String::new(),
                sensor: String::new(),
            }],
            ..Applied::default()
        };
        watch.note(&over);
        watch.note(&over);
        let r = watch.report();
        assert!(r.topics_at_limit && r.devices_at_limit);
        assert_eq!(
            (r.topics_refused, r.messages_unrecorded, r.devices_refused),
            (4, 10, 2)
        );
        assert_eq!((r.max_topics, r.max_devices), (2, 3));
        watch.note(&Applied {
            topics_added: 1,
            devices_added: 1,
            ..Applied::default()
        });
        let r = watch.report();
        assert!(!r.topics_at_limit && !r.devices_at_limit, "room again");
        assert_eq!(r.messages_unrecorded, 10, "counts stay");
    }
}
