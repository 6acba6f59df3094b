//! Message counts and rates per topic, and the topic tree pages show.
//!
//! At most `max_topics` distinct topics are tracked (default [`DEFAULT_MAX_TOPICS`]): a
//! client that invents a topic per message cannot grow the map without bound. Messages on
//! further topics still count in the total and in [`TopicCounts::untracked`], shown on the
//! page. Rates are messages per second over the last tick (about a second), computed by
//! [`TopicCounts::tick`]; each topic also keeps its last minute in a fixed ring
//! ([`crate::rate::History`]), summed up the tree for the sparklines.
//!
//! One-off reply topics (`modt/reply/{account}/{client_id}/{id}`, docs/protocol.md §3) are
//! counted under their reply root (see [`reply_group`]): one tracked topic per requesting
//! client, never one per request, so requests cannot fill the tree.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use modt::protocol::topics;
use serde::Serialize;

use crate::rate::{self, History, BUCKETS};

/// Topics (reply groups included) tracked unless configured otherwise.
pub const DEFAULT_MAX_TOPICS: usize = 10_000;

/// Where a one-off reply topic is counted: its reply root, the topic without its last level
/// (the request id). `None` for any other topic.
///
/// ```
/// use modt_monitor::tree::reply_group;
/// assert_eq!(reply_group("modt/reply/cli/modt-req-7/r42"), Some("modt/reply/cli/modt-req-7"));
/// assert_eq!(reply_group("modt/reply/c1/r1"), Some("modt/reply/c1"));
/// assert_eq!(reply_group("modt/state/set"), None);
/// ```
pub fn reply_group(topic: &str) -> Option<&str> {
    if !topics::is_reply_topic(topic) {
        return None;
    }
    topic.rsplit_once('/').map(|(group, _)| group)
}

#[derive(Debug, Default, Clone, Copy)]
struct Counter {
    count: u64,
    /// Of `count`, the messages on one-off reply topics grouped here.
    replies: u64,
    at_last_tick: u64,
    rate: f64,
    history: History,
}

/// Counts per topic, bounded.
#[derive(Debug)]
pub struct TopicCounts {
    topics: HashMap<String, Counter>,
    max_topics: usize,
    total: u64,
    untracked: u64,
    total_at_last_tick: u64,
    total_rate: f64,
    total_history: History,
    /// Time since the start, as the ticks told it; bucket numbers are counted from it.
    clock: Duration,
}

impl TopicCounts {
    /// Empty counts tracking at most `max_topics` topics.
    pub fn new(max_topics: usize) -> TopicCounts {
        TopicCounts {
            topics: HashMap::new(),
            max_topics,
            total: 0,
            untracked: 0,
            total_at_last_tick: 0,
            total_rate: 0.0,
            total_history: History::default(),
            clock: Duration::ZERO,
        }
    }

    fn epoch(&self) -> u64 {
        rate::epoch_at(self.clock)
    }

    /// Counts one message on `topic` (a one-off reply topic under its [`reply_group`]).
    pub fn count(&mut self, topic: &str) {
        self.total += 1;
        let epoch = self.epoch();
        self.total_history.add(epoch);
        let (key, reply) = match reply_group(topic) {
            Some(group) => (group, 1),
            None => (topic, 0),
        };
        if let Some(c) = self.topics.get_mut(key) {
            c.count += 1;
            c.replies += reply;
            c.history.add(epoch);
        } else if self.topics.len() < self.max_topics {
            let mut c = Counter {
                count: 1,
                replies: reply,
                ..Counter::default()
            };
            c.history.add(epoch);
            self.topics.insert(key.to_string(), c);
        } else {
            self.untracked += 1;
        }
    }

    /// Messages seen in all.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Messages on topics beyond the bound.
    pub fn untracked(&self) -> u64 {
        self.untracked
    }

    /// Topics tracked (a reply group counts as one).
    pub fn tracked(&self) -> usize {
        self.topics.len()
    }

    /// The count of one topic; for a one-off reply topic, of its whole [`reply_group`].
    pub fn count_of(&self, topic: &str) -> u64 {
        let key = reply_group(topic).unwrap_or(topic);
        self.topics.get(key).map_or(0, |c| c.count)
    }

    /// Updates the rates (messages since the last tick over `elapsed`) and moves the clock
    /// the rate histories are kept by.
    pub fn tick(&mut self, elapsed: Duration) {
        self.clock += elapsed;
        let secs = elapsed.as_secs_f64().max(1e-3);
        for c in self.topics.values_mut() {
            c.rate = (c.count - c.at_last_tick) as f64 / secs;
            c.at_last_tick = c.count;
        }
        self.total_rate = (self.total - self.total_at_last_tick) as f64 / secs;
        self.total_at_last_tick = self.total;
    }

    /// The tracked topics as a tree of levels: each node's count, rate and rate history
    /// are its subtree's. A reply group is one node, its replies counted in `replies`.
    pub fn tree(&self) -> TreeNode {
        let epoch = self.epoch();
        let mut root = Building::default();
        for (topic, c) in &self.topics {
            let window = c.history.window(epoch);
            let mut node = &mut root;
            node.add(c, &window);
            for level in topic.split('/') {
                node = node.children.entry(level.to_string()).or_default();
                node.add(c, &window);
            }
            node.own += c.count - c.replies;
            node.replies += c.replies;
        }
        let mut tree = root.finish(String::new(), None);
        tree.count = self.total;
        tree.rate = round(self.total_rate);
        tree.spark = self.total_history.window(epoch);
        tree.window_rate = rate::window_rate(&tree.spark);
        tree
    }
}

/// One level of the topic tree.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TreeNode {
    /// This level's name (empty for the root).
    pub name: String,
    /// The topic up to this level (`modt/state`), for a `…/#` filter.
    pub path: String,
    /// Messages on this topic and below.
    pub count: u64,
    /// Messages on the topic itself (not below, and not replies).
    pub own: u64,
    /// Messages on one-off reply topics right below, grouped in this node instead of one
    /// node each (this node is a reply root, see [`reply_group`]).
    #[serde(skip_serializing_if = "is_zero")]
    pub replies: u64,
    /// Messages per second on this topic and below, over the last tick.
    pub rate: f64,
    /// Messages on this topic and below per [`rate::BUCKET`], the last [`BUCKETS`] buckets,
    /// oldest first (the last still filling). Left out when all are zero.
    #[serde(skip_serializing_if = "all_zero")]
    pub spark: [u32; BUCKETS],
    /// Messages per second on this topic and below over the whole `spark` window.
    pub window_rate: f64,
    /// The levels below, by name.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<TreeNode>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

fn all_zero(spark: &[u32; BUCKETS]) -> bool {
    spark.iter().all(|&n| n == 0)
}

#[derive(Debug, Default)]
struct Building {
    count: u64,
    own: u64,
    replies: u64,
    rate: f64,
    spark: [u32; BUCKETS],
    children: BTreeMap<String, Building>,
}

impl Building {
    fn add(&mut self, c: &Counter, window: &[u32; BUCKETS]) {
        self.count += c.count;
        self.rate += c.rate;
        for (sum, n) in self.spark.iter_mut().zip(window) {
            *sum = sum.saturating_add(*n);
        }
    }

    /// `path` is `None` for the root, whose children's paths are their names.
    fn finish(self, name: String, path: Option<String>) -> TreeNode {
        let children = self
            .children
            .into_iter()
            .map(|(n, b)| {
                let p = match &path {
                    None => n.clone(),
                    Some(parent) => format!("{parent}/{n}"),
                };
                b.finish(n, Some(p))
            })
            .collect();
        TreeNode {
            name,
            path: path.unwrap_or_default(),
            count: self.count,
            own: self.own,
            replies: self.replies,
            rate: round(self.rate),
            window_rate: rate::window_rate(&self.spark),
            spark: self.spark,
            children,
        }
    }
}

fn round(rate: f64) -> f64 {
    (rate * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn child<'a>(n: &'a TreeNode, name: &str) -> &'a TreeNode {
        n.children.iter().find(|c| c.name == name).unwrap()
    }

    #[test]
    fn counts_roll_up_the_tree() {
        let mut c = TopicCounts::new(100);
        for t in ["a/b", "a/b", "a/c/d", "a", "x"] {
            c.count(t);
        }
        let tree = c.tree();
        assert_eq!(tree.count, 5);
        let a = child(&tree, "a");
        assert_eq!((a.count, a.own, a.path.as_str()), (4, 1, "a"));
        assert_eq!(child(a, "b").count, 2);
        let d = child(child(a, "c"), "d");
        assert_eq!((d.count, d.path.as_str()), (1, "a/c/d"));
        assert_eq!(child(&tree, "x").count, 1);
    }

    #[test]
    fn empty_levels_are_kept() {
        let mut c = TopicCounts::new(10);
        c.count("/lead");
        let tree = c.tree();
        let empty = child(&tree, "");
        assert_eq!(child(empty, "lead").path, "/lead");
    }

    #[test]
    fn bounded_number_of_topics() {
        let mut c = TopicCounts::new(3);
        for i in 0..10 {
            c.count(&format!("t/{i}"));
        }
        c.count("t/0");
        assert_eq!(c.tracked(), 3);
        assert_eq!(c.total(), 11);
        assert_eq!(c.untracked(), 7);
        assert_eq!(c.count_of("t/0"), 2);
        assert_eq!(c.count_of("t/9"), 0);
        assert_eq!(c.tree().count, 11, "the root counts every message");
    }

    #[test]
    fn rates_per_tick() {
        let mut c = TopicCounts::new(10);
        for _ in 0..5 {
            c.count("a/b");
        }
        c.tick(Duration::from_millis(500));
        let tree = c.tree();
        assert_eq!(tree.rate, 10.0);
        assert_eq!(child(&tree, "a").rate, 10.0);
        c.tick(Duration::from_secs(1));
        assert_eq!(c.tree().rate, 0.0);
    }

    #[test]
    fn one_off_replies_are_one_node_per_client() {
        let mut c = TopicCounts::new(100);
        for i in 0..42 {
            c.count(&format!("modt/reply/cli/modt-req-1/r{i}"));
        }
        c.count("modt/reply/viewer/viewer-1/r1");
        c.count("modt/reply/old-client/r1"); // a client without a broker account
        c.count("modt/state/set");
        assert_eq!(c.tracked(), 4, "three reply groups and one topic");
        assert_eq!(c.count_of("modt/reply/cli/modt-req-1/r999"), 42);
        let tree = c.tree();
        let reply = child(child(&tree, "modt"), "reply");
        let group = child(child(reply, "cli"), "modt-req-1");
        assert_eq!(
            (group.count, group.replies, group.own, group.path.as_str()),
            (42, 42, 0, "modt/reply/cli/modt-req-1")
        );
        assert!(group.children.is_empty(), "no node per reply id");
        assert_eq!(child(reply, "old-client").replies, 1);
        assert_eq!((reply.count, reply.replies), (44, 0));
        let json = serde_json::to_string(&tree).unwrap();
        assert!(!json.contains("r41"), "{json}");
    }

    #[test]
    fn the_tree_stays_bounded_however_many_requests_flow() {
        let mut c = TopicCounts::new(3);
        for i in 0..10_000 {
            c.count(&format!("modt/reply/cli/one-client/{i}"));
        }
        assert_eq!(c.tracked(), 1);
        for client in 0..10 {
            c.count(&format!("modt/reply/cli/client-{client}/r1"));
        }
        assert_eq!(
            c.tracked(),
            3,
            "further reply groups are untracked, as topics are"
        );
        assert_eq!(c.untracked(), 8);
        assert_eq!(c.tree().count, 10_010);
    }

    #[test]
    fn not_every_reply_looking_topic_is_grouped() {
        for t in [
            "modt/reply/c1",
            "modt/reply",
            "modt/replyx/c/r",
            "a/modt/reply/c/r",
        ] {
            assert_eq!(reply_group(t), None, "{t}");
        }
        assert_eq!(reply_group("modt/reply/a/c/r"), Some("modt/reply/a/c"));
    }

    #[test]
    fn sparks_roll_up_and_move_with_the_ticks() {
        let mut c = TopicCounts::new(10);
        c.count("a/b");
        c.count("a/c");
        c.count("x");
        c.tick(rate::BUCKET); // the next bucket
        c.count("a/b");
        let tree = c.tree();
        let a = child(&tree, "a");
        assert_eq!(&a.spark[BUCKETS - 2..], &[2, 1]);
        assert_eq!(&child(a, "b").spark[BUCKETS - 2..], &[1, 1]);
        assert_eq!(&tree.spark[BUCKETS - 2..], &[3, 1]);
        assert_eq!(a.window_rate, 0.1); // 3 messages over 60 s, to one decimal
                                        // A minute later it has all moved out; the counts stay.
        c.tick(rate::WINDOW);
        let tree = c.tree();
        assert!(tree.spark.iter().all(|&n| n == 0));
        assert_eq!(child(&tree, "a").count, 3);
        let json = serde_json::to_string(&tree).unwrap();
        assert!(!json.contains("spark"), "empty sparks are left out: {json}");
    }
}
