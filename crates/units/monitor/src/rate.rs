//! Message-rate history for the sparklines: per topic, a fixed ring of [`BUCKETS`] counts of
//! [`BUCKET`] each (the last minute), so its memory is the same however long the monitor runs.
//!
//! Time is counted in *bucket numbers* ("epochs") since the monitor started, advanced by
//! [`crate::tree::TopicCounts::tick`]; nothing here reads a clock. A ring only moves when a
//! message is counted in it or a window is read, so idle topics cost nothing per tick. This
//! module does not know topics or the tree: [`crate::tree`] keeps one [`History`] per topic
//! and sums them up the tree.

use std::time::Duration;

/// Buckets per history: with [`BUCKET`], the last minute.
pub const BUCKETS: usize = 30;

/// The time one bucket covers.
pub const BUCKET: Duration = Duration::from_secs(2);

/// The time a whole history covers ([`BUCKETS`] × [`BUCKET`]).
pub const WINDOW: Duration = Duration::from_secs(BUCKETS as u64 * BUCKET.as_secs());

/// The bucket number `elapsed` after the start.
pub fn epoch_at(elapsed: Duration) -> u64 {
    (elapsed.as_millis() / BUCKET.as_millis()) as u64
}

/// Counts of the last [`BUCKETS`] buckets, ending at the newest bucket written.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct History {
    counts: [u32; BUCKETS],
    /// The bucket number of the newest bucket written; slots hold `newest - BUCKETS + 1 ..= newest`.
    newest: u64,
}

impl History {
    /// Counts one message in bucket `epoch`. An `epoch` older than the newest written
    /// (the clock never goes back, so only by a caller's mistake) counts in the newest.
    pub fn add(&mut self, epoch: u64) {
        self.roll(epoch);
        let slot = &mut self.counts[slot(self.newest)];
        *slot = slot.saturating_add(1);
    }

    /// Moves the ring on to `epoch`, zeroing the buckets it passes.
    fn roll(&mut self, epoch: u64) {
        if epoch <= self.newest {
            return;
        }
        if epoch - self.newest >= BUCKETS as u64 {
            self.counts = [0; BUCKETS];
        } else {
            for e in self.newest + 1..=epoch {
                self.counts[slot(e)] = 0;
            }
        }
        self.newest = epoch;
    }

    /// The count of bucket `epoch` (0 when the ring no longer, or not yet, holds it).
    fn at(&self, epoch: u64) -> u32 {
        let held = epoch <= self.newest && epoch + BUCKETS as u64 > self.newest;
        if held {
            self.counts[slot(epoch)]
        } else {
            0
        }
    }

    /// Adds the window ending at bucket `epoch` (oldest first) into `out`.
    pub fn add_window_into(&self, epoch: u64, out: &mut [u32; BUCKETS]) {
        for (i, o) in out.iter_mut().enumerate() {
            let back = (BUCKETS - 1 - i) as u64;
            if let Some(e) = epoch.checked_sub(back) {
                *o = o.saturating_add(self.at(e));
            }
        }
    }

    /// The window ending at bucket `epoch`, oldest first; the last bucket is the current,
    /// still filling one.
    pub fn window(&self, epoch: u64) -> [u32; BUCKETS] {
        let mut out = [0; BUCKETS];
        self.add_window_into(epoch, &mut out);
        out
    }
}

fn slot(epoch: u64) -> usize {
    (epoch % BUCKETS as u64) as usize
}

/// Messages per second over a whole window, to one decimal.
pub fn window_rate(window: &[u32; BUCKETS]) -> f64 {
    let total: u64 = window.iter().map(|&n| u64::from(n)).sum();
    (total as f64 / WINDOW.as_secs_f64() * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_two_seconds_and_the_window_a_minute() {
        assert_eq!(epoch_at(Duration::from_millis(1999)), 0);
        assert_eq!(epoch_at(Duration::from_secs(2)), 1);
        assert_eq!(epoch_at(Duration::from_secs(61)), 30);
        assert_eq!(WINDOW, Duration::from_secs(60));
    }

    #[test]
    fn counts_land_in_their_bucket_newest_last() {
        let mut h = History::default();
        h.add(0);
        h.add(0);
        h.add(3);
        let w = h.window(3);
        assert_eq!(&w[BUCKETS - 4..], &[2, 0, 0, 1]);
        assert_eq!(w.iter().sum::<u32>(), 3);
        // Read later, the same counts have moved left.
        let w = h.window(5);
        assert_eq!(&w[BUCKETS - 6..], &[2, 0, 0, 1, 0, 0]);
    }

    #[test]
    fn old_buckets_fall_out_of_the_window() {
        let mut h = History::default();
        h.add(0);
        h.add(10);
        assert_eq!(h.window(29).iter().sum::<u32>(), 2);
        assert_eq!(
            h.window(30).iter().sum::<u32>(),
            1,
            "bucket 0 is a minute old"
        );
        assert_eq!(h.window(40).iter().sum::<u32>(), 0);
        // Writing after a long silence clears the whole ring, not only the slot written.
        h.add(1000);
        assert_eq!(h.window(1000).iter().sum::<u32>(), 1);
        // A slot reused after exactly one turn of the ring starts from zero.
        h.add(1000 + BUCKETS as u64);
        assert_eq!(h.window(1000 + BUCKETS as u64)[BUCKETS - 1], 1);
    }

    #[test]
    fn late_counts_go_to_the_newest_bucket() {
        let mut h = History::default();
        h.add(5);
        h.add(2);
        assert_eq!(h.window(5)[BUCKETS - 1], 2);
    }

    #[test]
    fn windows_sum_and_rate() {
        let mut a = History::default();
        let mut b = History::default();
        for _ in 0..30 {
            a.add(7);
        }
        for _ in 0..162 {
            b.add(8);
        }
        let mut sum = [0; BUCKETS];
        a.add_window_into(8, &mut sum);
        b.add_window_into(8, &mut sum);
        assert_eq!(&sum[BUCKETS - 2..], &[30, 162]);
        assert_eq!(window_rate(&sum), 3.2);
        assert_eq!(window_rate(&[0; BUCKETS]), 0.0);
    }
}
