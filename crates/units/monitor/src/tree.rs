//! Message counts and rates per topic, and the topic tree pages show.
//!
//! At most `max_topics` distinct topics are tracked (default [`DEFAULT_MAX_TOPICS`]): a
//! client that invents a topic per message cannot grow the map without bound. Messages on
//! further topics still count in the total and in [`TopicCounts::untracked`], shown on the
//! page. Rates are messages per second over the last tick (about a second), computed by
//! [`TopicCounts::tick`].

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use serde::Serialize;

/// Topics tracked unless configured otherwise.
pub const DEFAULT_MAX_TOPICS: usize = 10_000;

#[derive(Debug, Default, Clone, Copy)]
struct Counter {
    count: u64,
    at_last_tick: u64,
    rate: f64,
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
        }
    }

    /// Counts one message on `topic`.
    pub fn count(&mut self, topic: &str) {
        self.total += 1;
        if let Some(c) = self.topics.get_mut(topic) {
            c.count += 1;
        } else if self.topics.len() < self.max_topics {
            self.topics.insert(
                topic.to_string(),
                Counter {
                    count: 1,
                    ..Counter::default()
                },
            );
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

    /// Topics tracked.
    pub fn tracked(&self) -> usize {
        self.topics.len()
    }

    /// The count of one topic.
    pub fn count_of(&self, topic: &str) -> u64 {
        self.topics.get(topic).map_or(0, |c| c.count)
    }

    /// Updates the rates: messages since the last tick over `elapsed`.
    pub fn tick(&mut self, elapsed: Duration) {
        let secs = elapsed.as_secs_f64().max(1e-3);
        for c in self.topics.values_mut() {
            c.rate = (c.count - c.at_last_tick) as f64 / secs;
            c.at_last_tick = c.count;
        }
        self.total_rate = (self.total - self.total_at_last_tick) as f64 / secs;
        self.total_at_last_tick = self.total;
    }

    /// The tracked topics as a tree of levels: each node's count and rate are its subtree's.
    pub fn tree(&self) -> TreeNode {
        let mut root = Building::default();
        for (topic, c) in &self.topics {
            let mut node = &mut root;
            node.add(c);
            for level in topic.split('/') {
                node = node.children.entry(level.to_string()).or_default();
                node.add(c);
            }
            node.own += c.count;
        }
        let mut tree = root.finish(String::new(), None);
        tree.count = self.total;
        tree.rate = round(self.total_rate);
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
    /// Messages on the topic itself (not below).
    pub own: u64,
    /// Messages per second on this topic and below, over the last tick.
    pub rate: f64,
    /// The levels below, by name.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<TreeNode>,
}

#[derive(Debug, Default)]
struct Building {
    count: u64,
    own: u64,
    rate: f64,
    children: BTreeMap<String, Building>,
}

impl Building {
    fn add(&mut self, c: &Counter) {
        self.count += c.count;
        self.rate += c.rate;
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
            rate: round(self.rate),
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
}
