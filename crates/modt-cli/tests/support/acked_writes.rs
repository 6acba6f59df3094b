//! A stream of acknowledged state writes and its accounting, shared by the fault tests
//! (`faults.rs`, `replicas.rs`, `cluster.rs`): each write sets its own key to its own value
//! once, so after a fault the keys read back tell which acked writes were lost (`acked-lost`)
//! and which were applied twice (a version above 1: `applied-twice`).
//!
//! - [`Stream`]: the writes running in a task, with their ack count to wait on.
//! - [`AfterKill`]: how the writes caught by a kill were answered.
//! - [`Tally`]: the accounting, and [`Tally::check`], the verdict every fault test gives.

use std::collections::BTreeMap;
use std::io::BufRead as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt as _;
use modt::protocol::{
    topics, BulkValue, Correlation, ErrorCode, StateAck, StateBulkGet, StateBulkValue, StateSet,
};
use modt::{Client, RequestOptions};
use modt_testkit::wait_until;
use serde_json::{json, Value};
use tokio::task::JoinHandle;

/// The key of write `i`.
pub(crate) fn key(i: usize) -> String {
    format!("k{i:04}")
}

/// The value of write `i`.
pub(crate) fn value(i: usize) -> Value {
    json!({"i": i, "payload": format!("value-{i}")})
}

/// Warnings and errors the `modt` children logged, shown with a test's report.
#[derive(Clone, Default)]
pub(crate) struct Logs(Arc<Mutex<Vec<String>>>);

impl Logs {
    /// Reads the child's stdout and stderr to the end (so it never blocks on a full pipe),
    /// keeping its warning and error lines.
    pub(crate) fn drain(&self, mut p: super::ModtProcess, name: &str) -> super::ModtProcess {
        let pipes: [Option<Box<dyn std::io::Read + Send>>; 2] = [
            p.child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
            p.child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
        ];
        for pipe in pipes.into_iter().flatten() {
            let keep = self.0.clone();
            let name = name.to_string();
            std::thread::spawn(move || {
                for line in std::io::BufReader::new(pipe).lines() {
                    let Ok(line) = line else { break };
                    if line.contains("WARN") || line.contains("ERROR") {
                        keep.lock().unwrap().push(format!("[{name}] {line}"));
                    }
                }
            });
        }
        p
    }

    /// Lines kept so far.
    pub(crate) fn len(&self) -> usize {
        self.0.lock().unwrap().len()
    }

    /// Prints the first `n` lines kept.
    pub(crate) fn print(&self, n: usize) {
        for line in self.0.lock().unwrap().iter().take(n) {
            println!("{line}");
        }
    }
}

/// What the writer saw of one write.
#[derive(Debug, Clone)]
pub(crate) enum Outcome {
    /// Acked, with the version the ack named, when it was sent and when the ack came.
    Acked {
        version: Option<u64>,
        sent: Instant,
        at: Instant,
    },
    /// Failed with this code (a timeout, mostly), after its first attempt was sent at `sent`.
    Failed { code: ErrorCode, sent: Instant },
}

/// Sends `writes` sets to `user`'s keys, `concurrency` at a time, each with `options`,
/// counting acks in `acked` as they come.
pub(crate) async fn write_all(
    client: Client,
    user: String,
    writes: usize,
    concurrency: usize,
    options: RequestOptions,
    acked: Arc<AtomicUsize>,
) -> Vec<Outcome> {
    let never = Outcome::Failed {
        code: ErrorCode::Internal,
        sent: Instant::now(),
    };
    let mut outcomes = vec![never; writes];
    let results: Vec<(usize, Outcome)> = futures::stream::iter(0..writes)
        .map(|i| {
            let (client, user, acked, options) =
                (client.clone(), user.clone(), acked.clone(), options.clone());
            async move {
                let set = StateSet::new(user, key(i), value(i));
                let sent = Instant::now();
                let r = client
                    .request_json::<_, StateAck>(&topics::STATE_SET, &set, options)
                    .await;
                let outcome = match r {
                    Ok(ack) => {
                        acked.fetch_add(1, Ordering::SeqCst);
                        Outcome::Acked {
                            version: ack.version,
                            sent,
                            at: Instant::now(),
                        }
                    }
                    Err(e) => Outcome::Failed {
                        code: e.code(),
                        sent,
                    },
                };
                (i, outcome)
            }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    for (i, o) in results {
        outcomes[i] = o;
    }
    outcomes
}

/// The stored value and version of the first `writes` keys of `user` (a correlated bulk get,
/// retried while the system settles).
pub(crate) async fn read_back(
    client: &Client,
    user: &str,
    writes: usize,
) -> BTreeMap<String, Option<BulkValue>> {
    let get = StateBulkGet {
        timestamp: None,
        user_id: user.to_string(),
        keys: (0..writes).map(key).collect(),
        correlation: Correlation::NONE,
    };
    let mut last = None;
    for _ in 0..10 {
        match client
            .request_json::<_, StateBulkValue>(
                &topics::STATE_BULK_GET,
                &get,
                RequestOptions::new().timeout(Duration::from_secs(5)),
            )
            .await
        {
            Ok(v) => return v.values,
            Err(e) => {
                last = Some(e);
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
    panic!("could not read the keys back: {last:?}");
}

/// The accounting of a write stream against what was read back.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    /// Acked writes whose key does not hold the acked value.
    pub(crate) acked_lost: Vec<String>,
    /// Keys written more than once (a version above 1, stored or acked).
    pub(crate) applied_twice: Vec<String>,
    /// Writes that were not acked.
    pub(crate) unacked: Vec<usize>,
    /// Of those, how many were applied anyway.
    pub(crate) unacked_applied: usize,
    /// Failures by code.
    pub(crate) failures: BTreeMap<String, usize>,
}

impl Tally {
    /// Compares `outcomes` with `stored`.
    pub(crate) fn of(outcomes: &[Outcome], stored: &BTreeMap<String, Option<BulkValue>>) -> Tally {
        let mut t = Tally::default();
        for (i, outcome) in outcomes.iter().enumerate() {
            let k = key(i);
            let got = stored.get(&k).cloned().flatten();
            let stored_version = got.as_ref().map(|v| v.meta.version);
            match outcome {
                Outcome::Acked { version, .. } => {
                    if got.as_ref().map(|v| &v.value) != Some(&value(i)) {
                        t.acked_lost
                            .push(format!("{k}: acked v{version:?}, stored {got:?}"));
                    }
                    if version.unwrap_or(1) > 1 || stored_version.unwrap_or(1) > 1 {
                        t.applied_twice.push(format!(
                            "{k}: acked v{version:?}, stored v{stored_version:?}"
                        ));
                    }
                }
                Outcome::Failed { code, .. } => {
                    *t.failures.entry(code.to_string()).or_default() += 1;
                    t.unacked.push(i);
                    if got.is_some() {
                        t.unacked_applied += 1;
                    }
                    if stored_version.unwrap_or(1) > 1 {
                        t.applied_twice
                            .push(format!("{k}: not acked, stored v{stored_version:?}"));
                    }
                }
            }
        }
        t
    }

    /// Acked writes.
    pub(crate) fn acked(outcomes: &[Outcome]) -> usize {
        outcomes
            .iter()
            .filter(|o| matches!(o, Outcome::Acked { .. }))
            .count()
    }

    /// Fails the test (after printing the children's logs) when an acked write was lost or a
    /// write applied twice, or when not all `writes` were acked; `line` is the report.
    pub(crate) fn check(&self, outcomes: &[Outcome], writes: usize, line: &str, logs: &Logs) {
        if !self.acked_lost.is_empty() || !self.applied_twice.is_empty() {
            logs.print(logs.len());
        }
        assert!(
            self.acked_lost.is_empty() && self.applied_twice.is_empty(),
            "{line}\nacked but lost: {:#?}\napplied twice: {:#?}",
            self.acked_lost,
            self.applied_twice
        );
        assert_eq!(
            Tally::acked(outcomes),
            writes,
            "with retries every write is acked: {line}"
        );
    }
}

/// A stream of [`write_all`] running in a task, and its acks counted as they come.
pub(crate) struct Stream {
    /// The writer; its outcomes when every write has ended.
    pub(crate) writer: JoinHandle<Vec<Outcome>>,
    /// Writes acked so far.
    pub(crate) acked: Arc<AtomicUsize>,
}

impl Stream {
    /// Starts `writes` sets to `user`'s keys, `concurrency` at a time, each attempt waiting
    /// `attempt` for its ack and sent again up to `retries` times.
    pub(crate) fn start(
        client: &Client,
        user: &str,
        writes: usize,
        concurrency: usize,
        attempt: Duration,
        retries: u32,
    ) -> Stream {
        let acked = Arc::new(AtomicUsize::new(0));
        let options = RequestOptions::new().timeout(attempt).retries(retries);
        let writer = tokio::spawn(write_all(
            client.clone(),
            user.to_string(),
            writes,
            concurrency,
            options,
            acked.clone(),
        ));
        Stream { writer, acked }
    }

    /// Waits (at most `within`) until `n` writes are acked.
    pub(crate) async fn acked_reaches(&self, n: usize, within: Duration) {
        wait_until(within, &format!("{n} acked writes"), || {
            let acked = self.acked.clone();
            async move { acked.load(Ordering::SeqCst) >= n }
        })
        .await;
    }
}

/// When each failed write was first sent, in seconds from `at` (negative: before it), for
/// reports: which fault the writes that ran out of retries were caught by.
pub(crate) fn failed_sent_from(outcomes: &[Outcome], at: Instant) -> Vec<String> {
    outcomes
        .iter()
        .filter_map(|o| match o {
            Outcome::Failed { sent, .. } if *sent >= at => {
                Some(format!("+{:.2}", sent.duration_since(at).as_secs_f64()))
            }
            Outcome::Failed { sent, .. } => {
                Some(format!("-{:.2}", at.duration_since(*sent).as_secs_f64()))
            }
            Outcome::Acked { .. } => None,
        })
        .collect()
}

/// How the writes fared around a kill.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AfterKill {
    /// From the kill to the first ack after it (requests flow again); `Duration::MAX` when
    /// none came.
    pub(crate) first_ack: Duration,
    /// Writes sent before the kill and acked after it (the ones it caught).
    pub(crate) caught: usize,
    /// From the kill to the last ack of a write it caught (every one answered).
    pub(crate) caught_answered: Duration,
}

impl AfterKill {
    /// Reads `outcomes` around a kill at `killed_at`.
    pub(crate) fn of(outcomes: &[Outcome], killed_at: Instant) -> AfterKill {
        let mut k = AfterKill {
            first_ack: Duration::MAX,
            caught: 0,
            caught_answered: Duration::ZERO,
        };
        for o in outcomes {
            if let Outcome::Acked { sent, at, .. } = o {
                if *at > killed_at {
                    let d = at.duration_since(killed_at);
                    k.first_ack = k.first_ack.min(d);
                    if *sent < killed_at {
                        k.caught += 1;
                        k.caught_answered = k.caught_answered.max(d);
                    }
                }
            }
        }
        k
    }
}
