//! Taking in the broker's traffic: the `#` subscription feeding [`Live`], and the ticker that
//! turns counts into rates. Both tasks end when the unit's shutdown token fires.

use std::sync::Arc;
use std::time::Duration;

use modt::{Client, QoS, Subscription, TopicFilter};
use tokio::time::{interval_at, Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use crate::live::Live;

/// Everything: `#` (MQTT does not let it match `$SYS/…`). Not a `$share` subscription, so
/// every monitor instance sees every message.
pub const ALL: TopicFilter = TopicFilter::from_static("#");
/// The monitor's subscription in a namespace: the system's own bus.
pub const NAMESPACE_BUS: TopicFilter = TopicFilter::from_static("modt/#");

/// Subscribes to the whole bus ([`ALL`], or [`NAMESPACE_BUS`] in a namespace) with QoS 2, so each message arrives with its publisher's QoS.
pub async fn subscribe(client: &Client) -> Result<Subscription, modt::Error> {
    Ok(client
        .subscribe(&whole_bus(client), QoS::ExactlyOnce)
        .await?)
}

/// `#` in the default namespace (every topic on the broker, as the original monitor shows);
/// in a namespace, only that system's bus (`modt/#`, `{namespace}/#` on the wire), so one
/// tenant's monitor never shows another's messages.
fn whole_bus(client: &Client) -> TopicFilter {
    if client.namespace().is_default() {
        ALL
    } else {
        NAMESPACE_BUS
    }
}

/// Feeds every message of `sub` to `live` (and through it to the open pages' fan-out) until
/// `shutdown`; then the fan-out closes, which ends every page's feed.
pub async fn run(live: Arc<Live>, sub: Subscription, shutdown: CancellationToken) {
    let fanout = live.fanout().clone();
    fanout
        .pump(sub, shutdown, move |_, msg| live.ingest(&msg))
        .await;
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
    use super::*;
    use crate::rate::BUCKETS;
    use crate::MonitorConfig;
    use modt::Message;

    fn msg(topic: &str) -> Message {
        Message {
            topic: topic.into(),
            payload: b"{}".to_vec().into(),
            qos: QoS::AtMostOnce,
            retain: false,
            response_topic: None,
            correlation_data: None,
            user_properties: Vec::new(),
        }
    }

    /// The spark of the tree node `a` in the latest stats.
    fn spark_of_a(live: &Live) -> Vec<u64> {
        let stats: serde_json::Value = serde_json::from_str(&live.stats().latest()).unwrap();
        let a = stats["tree"]["children"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["name"] == "a")
            .unwrap();
        a["spark"]
            .as_array()
            .map(|s| s.iter().map(|n| n.as_u64().unwrap()).collect())
            .unwrap_or_default()
    }

    #[tokio::test(start_paused = true)]
    async fn the_ticker_moves_the_sparklines_by_the_clock() {
        let live = Live::new(&MonitorConfig::default());
        let stop = CancellationToken::new();
        let ticker = tokio::spawn(tick(live.clone(), Duration::from_secs(1), stop.clone()));
        live.ingest(&msg("a/b")); // t = 0 s: bucket 0
        tokio::time::sleep(Duration::from_millis(4500)).await; // ticks at 1…4 s: bucket 2
        live.ingest(&msg("a/c"));
        live.ingest(&msg("a/b"));
        tokio::time::sleep(Duration::from_secs(1)).await; // tick at 5 s
        let spark = spark_of_a(&live);
        assert_eq!(spark.len(), BUCKETS);
        assert_eq!(&spark[BUCKETS - 3..], &[1, 0, 2]);
        // Past the minute, the stats still go out, and the spark is empty (left out).
        tokio::time::sleep(Duration::from_secs(61)).await;
        assert!(spark_of_a(&live).is_empty());
        stop.cancel();
        ticker.await.unwrap();
    }

    #[test]
    fn all_is_a_valid_filter() {
        assert_eq!(
            modt::TopicFilter::new(super::ALL.as_str()).unwrap(),
            super::ALL
        );
    }
}
