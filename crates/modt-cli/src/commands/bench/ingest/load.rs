//! The load of `modt bench ingest` and what comes back (`DeviceEvent`s, of which only the
//! counter reading is decoded): [`publish`] sends the simulator's
//! messages (each readings message numbered by its `counter` reading) at a rate for a while,
//! noting when each went out; [`Returns`] hears the device events the ingest unit publishes
//! after it has stored a message (`modt/ingest/devices/changed/+`, a batch's events of a
//! site per message, as the devices page's feed hears them) and notes when each number came
//! back.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use modt::protocol::topics;
use modt::{Client, Outgoing, QoS};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::commands::sim::generator::{Generator, MARK_SENSOR};
use crate::commands::sim::pace::Pacer;

/// What one step sent.
#[derive(Debug)]
pub(super) struct Sent {
    /// The number of the step's first message.
    pub(super) first: u64,
    /// When each message went out, by its number less `first`.
    pub(super) at: Vec<Instant>,
    /// Sending time.
    pub(super) elapsed: Duration,
}

impl Sent {
    /// When message `number` went out, if this step sent it.
    pub(super) fn when(&self, number: u64) -> Option<Instant> {
        let i = usize::try_from(number.checked_sub(self.first)?).ok()?;
        self.at.get(i).copied()
    }

    /// Messages sent.
    pub(super) fn count(&self) -> u64 {
        self.at.len() as u64
    }
}

/// Sends `generator`'s messages through `client` at `rate` (0: as fast as it can) for
/// `duration`.
pub(super) async fn publish(
    client: &Client,
    generator: &mut Generator,
    rate: f64,
    duration: Duration,
    qos: QoS,
) -> anyhow::Result<Sent> {
    let mut pacer = Pacer::new(rate);
    let end = pacer.started() + duration;
    let mut sent = Sent {
        first: 0,
        at: Vec::new(),
        elapsed: Duration::ZERO,
    };
    while Instant::now() < end {
        let due = tokio::select! {
            n = pacer.due() => n,
            _ = tokio::time::sleep_until(end) => break,
        };
        let now = chrono::Utc::now();
        for _ in 0..due {
            let msg = generator.next(now)?;
            if sent.at.is_empty() {
                sent.first = msg.number;
            }
            client
                .publish(Outgoing::new(msg.topic, msg.payload).qos(qos))
                .await?;
            sent.at.push(Instant::now());
        }
        pacer.sent(due);
    }
    sent.elapsed = pacer.started().elapsed();
    Ok(sent)
}

/// The device events coming back, with the number each carries and when it came.
pub(super) struct Returns {
    got: Arc<Mutex<Vec<(u64, Instant)>>>,
    stop: CancellationToken,
    task: JoinHandle<()>,
}

impl Returns {
    /// Subscribes `bus` to the device events.
    pub(super) async fn start(bus: &Client) -> anyhow::Result<Returns> {
        let mut events = bus
            .subscribe(&topics::ALL_INGEST_DEVICES_CHANGED, QoS::AtMostOnce)
            .await?;
        let got = Arc::new(Mutex::new(Vec::new()));
        let stop = CancellationToken::new();
        let (sink, token) = (got.clone(), stop.clone());
        let task = tokio::spawn(async move {
            loop {
                let msg = tokio::select! {
                    _ = token.cancelled() => break,
                    m = events.recv() => match m { Some(m) => m, None => break },
                };
                let at = Instant::now();
                // A message carries a batch's events of one site.
                if let Ok(message) = msg.json::<MarkedEvents>() {
                    let mut got = lock(&sink);
                    got.extend(message.events.iter().filter_map(number).map(|n| (n, at)));
                }
            }
        });
        Ok(Returns { got, stop, task })
    }

    /// Events so far.
    pub(super) fn count(&self) -> usize {
        lock(&self.got).len()
    }

    /// Takes what came back so far.
    pub(super) fn take(&self) -> Vec<(u64, Instant)> {
        std::mem::take(&mut *lock(&self.got))
    }

    /// Waits until nothing more has come for `quiet` (at most `limit`).
    pub(super) async fn drained(&self, quiet: Duration, limit: Duration) {
        let end = Instant::now() + limit;
        let mut last = self.count();
        while Instant::now() < end {
            tokio::time::sleep(quiet).await;
            let now = self.count();
            if now == last {
                return;
            }
            last = now;
        }
    }

    /// Stops listening.
    pub(super) async fn stop(self) {
        self.stop.cancel();
        let _ = self.task.await;
    }
}

pub(super) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// What the bench reads of a message of device events (`modt::protocol::ingest::DeviceEvents`).
#[derive(serde::Deserialize)]
struct MarkedEvents {
    events: Vec<Marked>,
}

/// What the bench reads of a `DeviceEvent`: a readings event's sensors (a gateway event has
/// no `datalogger`). Only these fields are decoded, so that the load generator, which shares
/// the cores with the unit, spends little on each event.
#[derive(serde::Deserialize)]
pub(super) struct Marked {
    #[serde(default)]
    datalogger: Option<MarkedLogger>,
}

#[derive(serde::Deserialize)]
struct MarkedLogger {
    sensors: Vec<MarkedSensor>,
}

#[derive(serde::Deserialize)]
struct MarkedSensor {
    id: String,
    value: f64,
}

/// The number in a readings event's counter reading.
pub(super) fn number(event: &Marked) -> Option<u64> {
    event
        .datalogger
        .as_ref()?
        .sensors
        .iter()
        .find(|s| s.id == MARK_SENSOR)
        .map(|s| s.value as u64)
}
