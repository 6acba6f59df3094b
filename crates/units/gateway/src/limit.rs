//! Rate limits: a keyed GCRA limiter (governor) per route, keyed by the caller's user id, or
//! the client address when anonymous. A refused call gets 429 with `Retry-After`. Keys of
//! callers quiet for a while are dropped by [`sweep`], so the map does not grow without bound.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use tokio_util::sync::CancellationToken;

use crate::routes::{RateSpec, Route, RouteTable};

/// How often state of callers whose buckets are full again is dropped.
pub(crate) const SWEEP_EVERY: Duration = Duration::from_secs(60);

type Keyed = RateLimiter<String, DefaultKeyedStateStore<String>, DefaultClock>;

/// One limiter per route.
pub(crate) struct RateLimits {
    per_route: Vec<Keyed>,
    clock: DefaultClock,
}

impl std::fmt::Debug for RateLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimits")
            .field("routes", &self.per_route.len())
            .finish_non_exhaustive()
    }
}

impl RateLimits {
    /// A limiter for every route of `table`, with its [`RateSpec`].
    pub(crate) fn new(table: &RouteTable) -> RateLimits {
        let clock = DefaultClock::default();
        let per_route = table
            .routes()
            .iter()
            .map(|r| RateLimiter::dashmap_with_clock(quota(r.rate), clock.clone()))
            .collect();
        RateLimits { per_route, clock }
    }

    /// Counts one call of `caller` on `route`: `Err(wait)` when it is over the limit.
    pub(crate) fn check(&self, route: &Route, caller: &str) -> Result<(), Duration> {
        let Some(limiter) = self.per_route.get(route.index) else {
            return Ok(());
        };
        limiter
            .check_key(&caller.to_owned())
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }

    fn retain_recent(&self) {
        for limiter in &self.per_route {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }
}

fn quota(rate: RateSpec) -> Quota {
    let per_second = NonZeroU32::new(rate.per_second).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new(rate.burst).unwrap_or(NonZeroU32::MIN);
    Quota::per_second(per_second).allow_burst(burst)
}

/// Drops quiet callers' state every [`SWEEP_EVERY`] until `shutdown`.
pub(crate) async fn sweep(limits: std::sync::Arc<RateLimits>, shutdown: CancellationToken) {
    let mut every = tokio::time::interval(SWEEP_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = every.tick() => limits.retain_recent(),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_burst_passes_then_the_caller_waits_and_others_do_not() {
        let text = r#"
            [[route]]
            route = "GET /a"
            topic = "modt/a"
            unit = "a"
            auth = "none"
            rate = { per_second = 1, burst = 3 }
        "#;
        let table = RouteTable::parse(text, "t", Duration::from_secs(1)).unwrap();
        let limits = RateLimits::new(&table);
        let route = &table.routes()[0];
        for _ in 0..3 {
            limits.check(route, "u1").unwrap();
        }
        let wait = limits.check(route, "u1").unwrap_err();
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_secs(1),
            "{wait:?}"
        );
        limits.check(route, "u2").unwrap();
        limits.retain_recent();
    }
}
