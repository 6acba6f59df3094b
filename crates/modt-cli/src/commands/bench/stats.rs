//! Percentiles and formatting shared by the benchmarks.

use std::time::Duration;

/// p50 / p99 / max of a set of samples.
pub(crate) struct Stats {
    pub(crate) p50: Duration,
    pub(crate) p99: Duration,
    pub(crate) max: Duration,
}

impl Stats {
    pub(crate) fn of(samples: &mut [Duration]) -> Stats {
        samples.sort_unstable();
        let at = |q: f64| -> Duration {
            if samples.is_empty() {
                return Duration::ZERO;
            }
            let idx = ((samples.len() as f64 - 1.0) * q).round() as usize;
            samples[idx.min(samples.len() - 1)]
        };
        Stats {
            p50: at(0.50),
            p99: at(0.99),
            max: at(1.0),
        }
    }
}

pub(crate) fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

pub(crate) fn ratio(a: Duration, b: Duration) -> String {
    if b.is_zero() {
        return "-".into();
    }
    format!("{:.2}x", a.as_secs_f64() / b.as_secs_f64())
}

/// Prints `label` and the three figures, in the benchmarks' table layout.
pub(crate) fn row(label: &str, cells: [String; 3]) {
    let [a, b, c] = cells;
    println!("{label:<30} {a:>10} {b:>10} {c:>10}");
}

/// A row of a sample's p50 / p99 / max.
pub(crate) fn stats_row(label: &str, s: &Stats) {
    row(label, [ms(s.p50), ms(s.p99), ms(s.max)]);
}

/// A row of the ratios `a / b` of two samples' p50 / p99 / max.
pub(crate) fn ratio_row(label: &str, a: &Stats, b: &Stats) {
    row(
        label,
        [
            ratio(a.p50, b.p50),
            ratio(a.p99, b.p99),
            ratio(a.max, b.max),
        ],
    );
}
