//! The ring buffer of recent messages, so a page opened now shows what just happened.
//!
//! It holds at most `capacity` records (`--monitor-buffer`); a new one pushes out the oldest.
//! Each record is at most [`crate::record::MAX_SHOWN_BYTES`] of payload plus its metadata, so
//! the buffer's memory is bounded by `capacity × ~64 KiB`.

use std::collections::VecDeque;
use std::sync::Arc;

use crate::record::Record;

/// The last `capacity` records, oldest first.
#[derive(Debug)]
pub struct RingBuffer {
    records: VecDeque<Arc<Record>>,
    capacity: usize,
}

impl RingBuffer {
    /// An empty buffer keeping up to `capacity` records (at least 1).
    pub fn new(capacity: usize) -> RingBuffer {
        let capacity = capacity.max(1);
        RingBuffer {
            records: VecDeque::with_capacity(capacity.min(4096)),
            capacity,
        }
    }

    /// Adds `record`, dropping the oldest when full.
    pub fn push(&mut self, record: Arc<Record>) {
        if self.records.len() == self.capacity {
            self.records.pop_front();
        }
        self.records.push_back(record);
    }

    /// How many records it holds.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Its capacity.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The records whose topic `keep` accepts, oldest first.
    pub fn matching(&self, keep: impl Fn(&str) -> bool) -> Vec<Arc<Record>> {
        self.records
            .iter()
            .filter(|r| keep(&r.topic))
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(seq: u64, topic: &str) -> Arc<Record> {
        Arc::new(Record {
            seq,
            topic: topic.into(),
            json: "{}".into(),
        })
    }

    #[test]
    fn keeps_only_the_newest_capacity_records() {
        let mut b = RingBuffer::new(3);
        assert!(b.is_empty());
        for seq in 1..=10 {
            b.push(record(seq, "t"));
            assert!(b.len() <= 3);
        }
        assert_eq!(b.len(), 3);
        let seqs: Vec<u64> = b.matching(|_| true).iter().map(|r| r.seq).collect();
        assert_eq!(seqs, vec![8, 9, 10]);
    }

    #[test]
    fn filters_by_topic() {
        let mut b = RingBuffer::new(10);
        b.push(record(1, "a/x"));
        b.push(record(2, "b/x"));
        b.push(record(3, "a/y"));
        let seqs: Vec<u64> = b
            .matching(|t| modt::protocol::topic::matches("a/+", t))
            .iter()
            .map(|r| r.seq)
            .collect();
        assert_eq!(seqs, vec![1, 3]);
    }

    #[test]
    fn zero_capacity_means_one() {
        let mut b = RingBuffer::new(0);
        b.push(record(1, "t"));
        b.push(record(2, "t"));
        assert_eq!((b.len(), b.capacity()), (1, 1));
    }
}
