//! [`Pacer`]: sends at a steady rate. It says how many messages are due now (those whose
//! time has come since the start, so a late batch catches up and the average rate holds),
//! and waits when none is.

use tokio::time::{Duration, Instant};

/// Most messages handed out at once, so a stall is never followed by one huge burst.
pub(crate) const MAX_BATCH: u64 = 256;

/// Paces a run.
#[derive(Debug)]
pub(crate) struct Pacer {
    /// Messages per second; 0 sends as fast as the broker takes them.
    rate: f64,
    start: Instant,
    sent: u64,
}

impl Pacer {
    /// A pacer for `rate` messages a second (0: unpaced), starting now.
    pub(crate) fn new(rate: f64) -> Pacer {
        Pacer {
            rate,
            start: Instant::now(),
            sent: 0,
        }
    }

    /// Waits until a message is due, then says how many are (1…[`MAX_BATCH`]).
    pub(crate) async fn due(&mut self) -> u64 {
        if self.rate <= 0.0 {
            return MAX_BATCH;
        }
        loop {
            let elapsed = self.start.elapsed().as_secs_f64();
            // The epsilon keeps a message due at its own instant despite rounding.
            let due = (elapsed * self.rate + 1e-6).floor() as u64 + 1;
            if due > self.sent {
                return (due - self.sent).min(MAX_BATCH);
            }
            // A nanosecond past the next message's instant, so each wait moves time on.
            let next =
                Duration::from_secs_f64(self.sent as f64 / self.rate) + Duration::from_nanos(1);
            tokio::time::sleep_until(self.start + next).await;
        }
    }

    /// `n` more were sent.
    pub(crate) fn sent(&mut self, n: u64) {
        self.sent += n;
    }

    /// When the run started.
    pub(crate) fn started(&self) -> Instant {
        self.start
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_rate_holds_over_time_and_a_late_batch_catches_up() {
        let mut pacer = Pacer::new(100.0);
        let end = Instant::now() + Duration::from_secs(2);
        while Instant::now() < end {
            let n = pacer.due().await;
            pacer.sent(n);
        }
        assert!((200..=202).contains(&pacer.sent), "{}", pacer.sent);
        tokio::time::advance(Duration::from_millis(500)).await;
        assert_eq!(
            pacer.due().await,
            50,
            "the half second missed is due at once"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn unpaced_hands_out_batches_and_batches_are_bounded() {
        let mut unpaced = Pacer::new(0.0);
        assert_eq!(unpaced.due().await, MAX_BATCH);
        let mut fast = Pacer::new(1_000_000.0);
        tokio::time::advance(Duration::from_secs(1)).await;
        assert_eq!(fast.due().await, MAX_BATCH);
    }
}
