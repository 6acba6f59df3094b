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

/// `a − b` in milliseconds with its sign: `+0.150 ms`, `-0.020 ms`.
pub(crate) fn signed_ms(a: Duration, b: Duration) -> String {
    let diff = (a.as_secs_f64() - b.as_secs_f64()) * 1000.0;
    format!("{diff:+.3} ms")
}

/// Fewest pairs for which [`P50Shift::of`] gives an interval.
pub(crate) const MIN_PAIRS: usize = 8;

/// Resamples [`P50Shift::of`] draws for its interval.
const RESAMPLES: usize = 1000;

/// How much longer `a` takes than `b` at p50, from samples taken in pairs (the i-th of each
/// one after the other): `p50(a) − p50(b)` and its 95 % confidence interval by a paired
/// bootstrap (pairs drawn with replacement, [`RESAMPLES`] times, fixed seed so a run's
/// figures can be computed again). An interval that holds zero means the measurement cannot
/// tell the two apart.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct P50Shift {
    /// `p50(a) − p50(b)`, seconds (negative when `a` measured faster).
    pub(crate) diff: f64,
    /// Lower end of the 95 % interval, seconds.
    pub(crate) low: f64,
    /// Upper end, seconds.
    pub(crate) high: f64,
}

impl P50Shift {
    /// The shift of `a` over `b`; `None` with fewer than [`MIN_PAIRS`] pairs.
    pub(crate) fn of(a: &[Duration], b: &[Duration]) -> Option<P50Shift> {
        let pairs: Vec<(f64, f64)> = a
            .iter()
            .zip(b)
            .map(|(a, b)| (a.as_secs_f64(), b.as_secs_f64()))
            .collect();
        let n = pairs.len();
        if n < MIN_PAIRS {
            return None;
        }
        let (mut xa, mut xb): (Vec<f64>, Vec<f64>) = pairs.iter().copied().unzip();
        let diff = p50(&mut xa) - p50(&mut xb);
        let mut rng = fastrand::Rng::with_seed(0x5eed);
        let mut shifts: Vec<f64> = (0..RESAMPLES)
            .map(|_| {
                for (ra, rb) in xa.iter_mut().zip(xb.iter_mut()) {
                    (*ra, *rb) = pairs[rng.usize(..n)];
                }
                p50(&mut xa) - p50(&mut xb)
            })
            .collect();
        shifts.sort_unstable_by(f64::total_cmp);
        let at = |q: f64| shifts[((RESAMPLES - 1) as f64 * q).round() as usize];
        Some(P50Shift {
            diff,
            low: at(0.025),
            high: at(0.975),
        })
    }

    /// Whether the interval holds zero: no difference the samples can show.
    pub(crate) fn within_noise(&self) -> bool {
        self.low <= 0.0 && self.high >= 0.0
    }

    /// `(within noise; 95% CI -0.041..+0.012 ms)`, without "within noise" when the interval
    /// is all on one side of zero.
    pub(crate) fn note(&self) -> String {
        let verdict = if self.within_noise() {
            "within noise; "
        } else {
            ""
        };
        format!(
            "({verdict}95% CI {:+.3}..{:+.3} ms)",
            self.low * 1000.0,
            self.high * 1000.0
        )
    }
}

/// The p50 as [`Stats::of`] takes it (the sample at rank `round((n − 1) / 2)`), reordering
/// `xs`; `xs` is not empty.
fn p50(xs: &mut [f64]) -> f64 {
    let idx = ((xs.len() as f64 - 1.0) * 0.5).round() as usize;
    *xs.select_nth_unstable_by(idx, f64::total_cmp).1
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

#[cfg(test)]
mod tests {
    use super::*;

    fn us(v: &[u64]) -> Vec<Duration> {
        v.iter().map(|&u| Duration::from_micros(u)).collect()
    }

    #[test]
    fn a_faster_side_is_printed_with_its_sign_not_as_zero() {
        let a = Duration::from_micros(480);
        let b = Duration::from_micros(500);
        assert_eq!(signed_ms(a, b), "-0.020 ms");
        assert_eq!(signed_ms(b, a), "+0.020 ms");
        assert_eq!(signed_ms(a, a), "+0.000 ms");
    }

    #[test]
    fn a_steady_shift_is_told_apart_from_noise() {
        // Every call through one path 100 us slower: the interval is all above zero.
        let b = us(&(0..100).map(|i| 400 + (i * 37) % 50).collect::<Vec<_>>());
        let a: Vec<Duration> = b.iter().map(|d| *d + Duration::from_micros(100)).collect();
        let shift = P50Shift::of(&a, &b).unwrap();
        assert!((shift.diff - 100e-6).abs() < 1e-9, "{shift:?}");
        assert!(!shift.within_noise(), "{shift:?}");
        assert!(!shift.note().contains("within noise"), "{}", shift.note());
    }

    #[test]
    fn a_faster_side_within_noise_keeps_its_sign_and_says_so() {
        // Two spreads of the same calls, one 2 us lower at p50: a negative difference,
        // printed as such, and an interval that holds zero.
        let b = us(&(0..101).map(|i| 400 + (i * 37) % 101).collect::<Vec<_>>());
        let a = us(&(0..101).map(|i| 398 + (i * 53) % 101).collect::<Vec<_>>());
        let shift = P50Shift::of(&a, &b).unwrap();
        assert!((shift.diff + 2e-6).abs() < 1e-9, "{shift:?}");
        assert!(shift.within_noise(), "{shift:?}");
        assert!(
            shift.note().starts_with("(within noise; 95% CI -"),
            "{}",
            shift.note()
        );
    }

    #[test]
    fn too_few_pairs_give_no_interval() {
        let few = us(&[1; MIN_PAIRS - 1]);
        assert_eq!(P50Shift::of(&few, &few), None);
        let enough = us(&[1; MIN_PAIRS]);
        assert!(P50Shift::of(&enough, &enough).is_some());
    }
}
