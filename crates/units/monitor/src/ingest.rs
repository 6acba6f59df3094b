//! Taking in the broker's traffic: the `#` subscription feeding [`Live`], and the ticker that
//! turns counts into rates. Both tasks end when the unit's shutdown token fires.

use std::sync::Arc;
use std::time::Duration;

use modt::{Client, QoS, Subscription, TopicFilter};
use tokio::time::{interval_at, Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;
use tracing::debug;

use crate::live::Live;

/// Everything: `#` (MQTT does not let it match `$SYS/…`). Not a `$share` subscription, so
/// every monitor instance sees every message.
pub const ALL: TopicFilter = TopicFilter::from_static("#");

/// Subscribes to [`ALL`] with QoS 2, so each message arrives with its publisher's QoS.
pub async fn subscribe(client: &Client) -> Result<Subscription, modt::Error> {
    client.subscribe(&ALL, QoS::ExactlyOnce).await
}

/// Feeds every message of `sub` to `live` until `shutdown`.
pub async fn run(live: Arc<Live>, mut sub: Subscription, shutdown: CancellationToken) {
    loop {
        let msg = tokio::select! {
            _ = shutdown.cancelled() => return,
            m = sub.recv() => m,
        };
        match msg {
            Some(msg) => live.ingest(&msg),
            None => {
                debug!("the monitor's subscription ended");
                return;
            }
        }
    }
}

/// Updates rates and publishes stats every `every` until `shutdown`.
pub async fn tick(live: Arc<Live>, every: Duration, shutdown: CancellationToken) {
    let mut last = Instant::now();
    let mut timer = interval_at(last + every, every);
    timer.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            now = timer.tick() => {
                live.tick(now.duration_since(last));
                last = now;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn all_is_a_valid_filter() {
        assert_eq!(
            modt::TopicFilter::new(super::ALL.as_str()).unwrap(),
            super::ALL
        );
    }
}
