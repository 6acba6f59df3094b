//! The monitor's settings and limits.

use std::time::Duration;

/// Messages kept for a fresh page unless configured otherwise (`--monitor-buffer`).
pub const DEFAULT_BUFFER: usize = 1000;
/// Messages queued per open page before further ones are dropped (and counted).
pub const DEFAULT_FEED_QUEUE: usize = 512;
/// Pages (WebSockets) open at once; more are refused with 503.
pub const DEFAULT_MAX_FEEDS: usize = 32;

/// Settings of the monitor unit.
#[derive(Debug, Clone)]
pub struct MonitorConfig {
    /// Recent messages kept in memory for a fresh page.
    pub buffer: usize,
    /// Distinct topics counted in the topic tree (see [`crate::tree`]).
    pub max_topics: usize,
    /// Messages queued per page; when a page's queue is full, further messages are dropped
    /// for that page and the page is told how many.
    pub feed_queue: usize,
    /// Pages open at once.
    pub max_feeds: usize,
    /// The URL browsers reach the monitor at; derived from the listener when `None`.
    pub public_url: Option<String>,
    /// The identify unit's URL; found through presence (`kind` = `identify`) when `None`.
    pub identify_url: Option<String>,
    /// How long a page waits for the identify unit to answer a session query.
    pub session_timeout: Duration,
    /// How often topic counts, rates and the tree are sent to pages.
    pub stats_interval: Duration,
}

impl Default for MonitorConfig {
    fn default() -> Self {
        MonitorConfig {
            buffer: DEFAULT_BUFFER,
            max_topics: crate::tree::DEFAULT_MAX_TOPICS,
            feed_queue: DEFAULT_FEED_QUEUE,
            max_feeds: DEFAULT_MAX_FEEDS,
            public_url: None,
            identify_url: None,
            session_timeout: modt_web::identity::DEFAULT_TIMEOUT,
            stats_interval: Duration::from_secs(1),
        }
    }
}
