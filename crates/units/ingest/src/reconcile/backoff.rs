//! Reconnection delays of one connection: doubled per failed attempt from
//! [`FIRST_RETRY`] up to [`MAX_RETRY`], with up to a quarter of random spread so that many
//! connections to one broker do not retry in step.

use std::time::Duration;

/// The wait after the first failure.
pub const FIRST_RETRY: Duration = Duration::from_secs(1);

/// The longest wait between attempts.
pub const MAX_RETRY: Duration = Duration::from_secs(60);

/// The wait after failed attempt number `attempt` (1 for the first), before spread.
pub fn base_delay(attempt: u32) -> Duration {
    let doublings = attempt.saturating_sub(1).min(16);
    FIRST_RETRY.saturating_mul(1 << doublings).min(MAX_RETRY)
}

/// [`base_delay`] plus 0–25 % of spread.
pub fn delay(attempt: u32) -> Duration {
    let base = base_delay(attempt);
    base + base.mul_f64(fastrand::f64() * 0.25)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_the_cap() {
        assert_eq!(base_delay(1), FIRST_RETRY);
        assert_eq!(base_delay(2), FIRST_RETRY * 2);
        assert_eq!(base_delay(4), FIRST_RETRY * 8);
        assert_eq!(base_delay(1000), MAX_RETRY);
        for attempt in 1..10 {
            let d = delay(attempt);
            assert!(d >= base_delay(attempt) && d <= base_delay(attempt).mul_f64(1.25));
        }
    }
}
