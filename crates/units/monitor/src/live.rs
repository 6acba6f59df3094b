//! [`Live`]: what the monitor knows right now — the ring buffer, the topic counts, and the open
//! pages' feeds — behind one lock, so a page that opens (or changes its filter) gets the
//! buffered history and then every later message, with no gap and no duplicate.
//!
//! Each open page has a [`Feed`]: a client of the [`Fanout`] — a bounded queue of records
//! matching its filter. Ingest never waits for a page: when a page's queue is full, the
//! message is skipped *for that page* and counted; the page learns the count with its next
//! batch. Memory therefore stays bounded however fast messages come and however slow a
//! browser reads. Records go to the fan-out under the same lock as into the buffer, so a page
//! that opens sees each message once: in its history or in its feed.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use modt::{Message, TopicFilter};
use modt_web::push::{Fanout, FanoutConfig, PushError, Receiver};
use serde::Serialize;
use tokio::sync::watch;

use crate::buffer::RingBuffer;
use crate::config::MonitorConfig;
use crate::record::Record;
use crate::tree::{TopicCounts, TreeNode};

/// The monitor's shared state. Cheap to share as `Arc<Live>`.
#[derive(Debug)]
pub struct Live {
    inner: Mutex<Inner>,
    seq: AtomicU64,
    stats: watch::Sender<Arc<str>>,
    fanout: Fanout<Arc<Record>>,
}

#[derive(Debug)]
struct Inner {
    buffer: RingBuffer,
    counts: TopicCounts,
    max_topics: usize,
    last_stats_total: Option<u64>,
    /// Whether the last stats sent showed traffic (a rate or a non-empty sparkline).
    last_stats_busy: bool,
}

/// Why a page could not get a feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FeedError {
    /// Too many pages are open.
    #[error("{0} monitor pages are open already")]
    TooMany(usize),
    /// The monitor is stopping.
    #[error("the monitor is stopping")]
    Closed,
}

impl From<PushError> for FeedError {
    fn from(e: PushError) -> FeedError {
        match e {
            PushError::TooManyClients(n) => FeedError::TooMany(n),
            _ => FeedError::Closed,
        }
    }
}

/// The counts and tree pages show, sent as `{"type":"stats",…}`.
#[derive(Debug, Serialize)]
struct Stats<'a> {
    r#type: &'static str,
    total: u64,
    untracked: u64,
    tracked: usize,
    max_topics: usize,
    buffered: usize,
    buffer: usize,
    pages: usize,
    tree: &'a TreeNode,
}

impl Live {
    /// Empty state with the limits of `config`.
    pub fn new(config: &MonitorConfig) -> Arc<Live> {
        let (stats, _) = watch::channel(Arc::<str>::from(""));
        let live = Arc::new(Live {
            inner: Mutex::new(Inner {
                buffer: RingBuffer::new(config.buffer),
                counts: TopicCounts::new(config.max_topics),
                max_topics: config.max_topics,
                last_stats_total: None,
                last_stats_busy: false,
            }),
            seq: AtomicU64::new(0),
            stats,
            fanout: Fanout::new(FanoutConfig {
                per_client: config.feed_queue.max(1),
                max_clients: config.max_feeds,
            }),
        });
        // The first stats, before any traffic; no time has passed yet.
        live.tick(Duration::ZERO);
        live
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves counts at worst slightly off: keep going.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes in one message: masks it, keeps it, counts it, and queues it for every page
    /// whose filter matches (skipping and counting it for pages whose queue is full).
    pub fn ingest(&self, msg: &Message) {
        let seq = self.seq.fetch_add(1, Ordering::Relaxed) + 1;
        let record = Arc::new(Record::of(msg, seq));
        let mut inner = self.lock();
        inner.counts.count(&record.topic);
        inner.buffer.push(record.clone());
        self.fanout.send(&record);
    }

    /// The open pages' fan-out (what [`crate::ingest::run`] pumps into and closes).
    pub fn fanout(&self) -> &Fanout<Arc<Record>> {
        &self.fanout
    }

    /// Opens a feed for a page: the buffered records matching `filter` (oldest first), then,
    /// through the feed, every later match.
    pub fn open_feed(
        self: &Arc<Self>,
        filter: TopicFilter,
    ) -> Result<(Feed, Vec<Arc<Record>>), FeedError> {
        let inner = self.lock();
        let history = inner.buffer.matching(|t| filter.matches(t));
        let rx = self.fanout.subscribe(matching(filter))?;
        let feed = Feed {
            live: self.clone(),
            rx,
        };
        Ok((feed, history))
    }

    /// Watches the stats pages are sent.
    pub fn stats(&self) -> StatsWatch {
        StatsWatch {
            rx: self.stats.subscribe(),
        }
    }

    /// Updates rates and, when something changed, publishes fresh stats to every page.
    pub fn tick(&self, elapsed: Duration) {
        let json = {
            let mut inner = self.lock();
            inner.counts.tick(elapsed);
            let total = inner.counts.total();
            let tree = inner.counts.tree();
            // Send when counts moved, while the rates or the last minute show traffic (the
            // sparklines move on), and once more after they fall to zero.
            let busy = tree.rate > 0.0 || tree.spark.iter().any(|&n| n > 0);
            let moved = inner.last_stats_total != Some(total) || busy || inner.last_stats_busy;
            if !moved {
                return;
            }
            inner.last_stats_total = Some(total);
            inner.last_stats_busy = busy;
            let stats = Stats {
                r#type: "stats",
                total,
                untracked: inner.counts.untracked(),
                tracked: inner.counts.tracked(),
                max_topics: inner.max_topics,
                buffered: inner.buffer.len(),
                buffer: inner.buffer.capacity(),
                pages: self.fanout.clients(),
                tree: &tree,
            };
            serde_json::to_string(&stats).unwrap_or_default()
        };
        self.stats.send_replace(json.into());
    }

    /// Messages seen in all.
    pub fn total(&self) -> u64 {
        self.lock().counts.total()
    }

    /// Messages seen on `topic` (0 for a topic beyond the tracking bound).
    pub fn count_of(&self, topic: &str) -> u64 {
        self.lock().counts.count_of(topic)
    }

    /// Records in the buffer now.
    pub fn buffered(&self) -> usize {
        self.lock().buffer.len()
    }

    /// Pages open now.
    pub fn pages(&self) -> usize {
        self.fanout.clients()
    }
}

/// The fan-out filter of a page's topic filter.
fn matching(filter: TopicFilter) -> impl Fn(&Arc<Record>) -> bool + Send + Sync + 'static {
    move |record| filter.matches(&record.topic)
}

/// One page's feed: records matching its filter, and how many were dropped for it.
/// Dropping it closes the feed.
#[derive(Debug)]
pub struct Feed {
    live: Arc<Live>,
    rx: Receiver<Arc<Record>>,
}

impl Feed {
    /// Waits for records, then takes up to `max` of them (oldest first) into `out`.
    /// Returns 0 only when the monitor is gone.
    pub async fn recv_many(&mut self, out: &mut Vec<Arc<Record>>, max: usize) -> usize {
        self.rx.recv_many(out, max).await
    }

    /// Messages dropped for this page since the last call.
    pub fn take_dropped(&self) -> u64 {
        self.rx.take_skipped()
    }

    /// Replaces the filter: forgets what was queued under the old one and returns the
    /// buffered records matching the new one (oldest first).
    pub fn set_filter(&mut self, filter: TopicFilter) -> Vec<Arc<Record>> {
        let inner = self.live.lock();
        let history = inner.buffer.matching(|t| filter.matches(t));
        self.rx.set_filter(matching(filter));
        history
    }
}

/// A page's view of the stats (`{"type":"stats",…}`), latest only.
#[derive(Debug)]
pub struct StatsWatch {
    rx: watch::Receiver<Arc<str>>,
}

impl StatsWatch {
    /// The latest stats, marking them seen.
    pub fn latest(&mut self) -> Arc<str> {
        self.rx.borrow_and_update().clone()
    }

    /// Waits until new stats are published; `false` once the monitor is gone.
    pub async fn changed(&mut self) -> bool {
        self.rx.changed().await.is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use modt::QoS;

    fn msg(topic: &str, payload: &str) -> Message {
        Message {
            topic: topic.into(),
            payload: payload.as_bytes().to_vec().into(),
            qos: QoS::AtLeastOnce,
            retain: false,
            response_topic: None,
            correlation_data: None,
            user_properties: Vec::new(),
        }
    }

    fn config(buffer: usize, feed_queue: usize) -> MonitorConfig {
        MonitorConfig {
            buffer,
            feed_queue,
            max_feeds: 2,
            ..MonitorConfig::default()
        }
    }

    #[tokio::test]
    async fn a_feed_gets_history_then_live_matches_and_counts_drops() {
        let live = Live::new(&config(3, 2));
        for i in 0..5 {
            live.ingest(&msg(&format!("a/{i}"), "{}"));
        }
        let (mut feed, history) = live.open_feed(TopicFilter::new("a/#").unwrap()).unwrap();
        assert_eq!(
            history.iter().map(|r| r.seq).collect::<Vec<_>>(),
            vec![3, 4, 5]
        );
        live.ingest(&msg("b/x", "{}"));
        for _ in 0..4 {
            live.ingest(&msg("a/x", "{}"));
        }
        let mut got = Vec::new();
        assert_eq!(feed.recv_many(&mut got, 10).await, 2);
        assert_eq!(feed.take_dropped(), 2);
        assert_eq!(feed.take_dropped(), 0);
        assert_eq!(live.buffered(), 3);
        assert_eq!(live.total(), 10);

        let history = feed.set_filter(TopicFilter::new("b/+").unwrap());
        assert_eq!(history.len(), 0, "b/x left the buffer already");
        live.ingest(&msg("b/y", "{}"));
        got.clear();
        assert_eq!(feed.recv_many(&mut got, 10).await, 1);
        assert_eq!(got[0].topic, "b/y");
    }

    #[test]
    fn pages_are_bounded_and_closed_feeds_leave() {
        let live = Live::new(&config(3, 2));
        let all = TopicFilter::new("#").unwrap();
        let a = live.open_feed(all.clone()).unwrap();
        let _b = live.open_feed(all.clone()).unwrap();
        assert_eq!(
            live.open_feed(all.clone()).unwrap_err(),
            FeedError::TooMany(2)
        );
        drop(a);
        assert_eq!(live.pages(), 1);
        assert!(live.open_feed(all).is_ok());
    }

    #[test]
    fn stats_are_published_when_counts_move() {
        let live = Live::new(&config(3, 2));
        let mut feed = live.stats();
        let first = feed.latest();
        assert!(first.contains("\"total\":0"), "{first}");
        live.ingest(&msg("x/y", r#"{"token":"t0ps3cret"}"#));
        // The first stats, before any traffic; no time has passed yet.
        live.tick(Duration::ZERO);
        let s = feed.latest();
        assert!(s.contains("\"total\":1"), "{s}");
        assert!(s.contains("\"path\":\"x/y\""), "{s}");
        assert!(!s.contains("t0ps3cret"));
    }
}
