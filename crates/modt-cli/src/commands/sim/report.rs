//! What a run prints: messages sent per kind, how long it took and at what rate, and the
//! seed that repeats it; as text or as one JSON object.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use super::kind::{Counts, Kind};

/// A run's summary.
#[derive(Debug, Serialize)]
pub(crate) struct Report {
    pub(crate) seed: u64,
    pub(crate) sent: u64,
    pub(crate) malformed: u64,
    pub(crate) seconds: f64,
    pub(crate) per_second: f64,
    pub(crate) per_kind: BTreeMap<&'static str, u64>,
}

impl Report {
    /// The summary of `counts` sent in `elapsed` with `seed`.
    pub(crate) fn new(seed: u64, counts: &Counts, elapsed: Duration) -> Report {
        let seconds = elapsed.as_secs_f64();
        Report {
            seed,
            sent: counts.total(),
            malformed: counts.broken(),
            seconds,
            per_second: if seconds > 0.0 {
                counts.total() as f64 / seconds
            } else {
                0.0
            },
            per_kind: Kind::ALL
                .iter()
                .map(|k| (k.name(), counts.get(*k)))
                .collect(),
        }
    }

    /// One JSON object.
    pub(crate) fn json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Lines for people.
    pub(crate) fn text(&self) -> String {
        let mut out = format!(
            "sent {} messages in {:.1} s ({:.1} msg/s), {} malformed, seed {}",
            self.sent, self.seconds, self.per_second, self.malformed, self.seed
        );
        for k in Kind::ALL {
            let n = self.per_kind.get(k.name()).copied().unwrap_or(0);
            out.push_str(&format!("\n  {:<10} {n:>9}", k.name()));
        }
        out
    }
}

/// `rate` in words.
pub(crate) fn rate_words(rate: f64) -> String {
    if rate > 0.0 {
        format!("{rate} msg/s")
    } else {
        "unpaced".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_names_every_kind() {
        let mut counts = Counts::default();
        counts.add(Kind::Readings);
        counts.add(Kind::Readings);
        counts.add(Kind::TooLarge);
        let r = Report::new(42, &counts, Duration::from_secs(2));
        let v: serde_json::Value = serde_json::from_str(&r.json()).unwrap();
        assert_eq!(v["sent"], 3);
        assert_eq!(v["malformed"], 1);
        assert_eq!(v["per_kind"]["too_large"], 1);
        assert_eq!(v["per_kind"]["not_json"], 0);
        assert_eq!(v["per_second"], 1.5);
        let text = r.text();
        assert!(
            text.contains("seed 42") && text.contains("readings"),
            "{text}"
        );
    }
}
