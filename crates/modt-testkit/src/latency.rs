//! Round trips timed in tests, for the one latency property tests check: that nothing waits on
//! a delayed TCP ACK (~40 ms on Linux) behind a broker's Nagle algorithm. Speed itself is for
//! `modt bench`; the bound here is loose enough never to flake on a busy machine.

use std::time::{Duration, Instant};

/// A median this far below 40 ms cannot come from round trips that wait on delayed ACKs.
pub const FAR_FROM_NAGLE: Duration = Duration::from_millis(15);

/// Runs `trip` `warmup + rounds` times, one after another, and returns the median of the
/// last `rounds` durations.
pub async fn median_round_trip<F>(warmup: usize, rounds: usize, mut trip: F) -> Duration
where
    F: AsyncFnMut(usize),
{
    let mut times = Vec::with_capacity(rounds);
    for i in 0..warmup + rounds {
        let t = Instant::now();
        trip(i).await;
        if i >= warmup {
            times.push(t.elapsed());
        }
    }
    times.sort();
    times.get(times.len() / 2).copied().unwrap_or_default()
}

/// Fails the test when `median` is not far below a delayed ACK.
pub fn assert_no_nagle_stall(what: &str, median: Duration) {
    assert!(
        median < FAR_FROM_NAGLE,
        "{what}: median round trip {median:?}, expected under {FAR_FROM_NAGLE:?} \
         (~40 ms means a delayed ACK behind the broker's Nagle algorithm)"
    );
}
