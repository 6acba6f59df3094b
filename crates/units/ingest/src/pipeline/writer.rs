//! The writer: takes queued messages in batches (up to [`MAX_BATCH`], or what came within
//! [`FLUSH_EVERY`]), stores each batch in one transaction, then acknowledges its QoS 1
//! messages on their brokers and announces it: its [`DeviceEvent`]s per site, in arrival
//! order, in messages of up to [`MAX_EVENTS_PER_MESSAGE`] ([`DeviceEvents`], QoS 0,
//! `modt/ingest/devices/changed/{site}`: a few messages a batch, not one per change), and an
//! [`IngestDeadLetter`] per refused message (QoS 1, `modt/ingest/dead/{connection}`). What
//! the store left out for the limits is counted ([`LimitWatch`]) and not announced.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use modt::protocol::ingest::{Datalogger, DeviceEvent, Gateway, IngestDeadLetter, Sensor};
use modt::protocol::topics;
use modt::QoS;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::intake::{Queued, ShedMap};
use super::{LimitWatch, FLUSH_EVERY, MAX_BATCH, MAX_EVENTS_PER_MESSAGE};
use crate::model::{timestamp, DeviceUpdate, Outcome};
use crate::store::{Applied, Batch, DeviceKey, IngestStore, TopicDelta};
use modt::protocol::ingest::DeviceEvents;

/// The one writer of received messages.
#[derive(Debug)]
pub struct Writer {
    /// Where batches go.
    pub store: Arc<dyn IngestStore>,
    /// Where stored changes are announced (`None`: nowhere, in tests of the store path).
    pub client: Option<modt::Client>,
    /// The limits on topics and devices, and what they left out.
    pub limits: LimitWatch,
}

/// What one batch announces once stored.
#[derive(Debug, Default)]
struct Announcements {
    events: Vec<DeviceEvent>,
    dead: Vec<IngestDeadLetter>,
    acks: Vec<super::intake::Ack>,
}

impl Writer {
    /// Stores what arrives on `rx` until `stop` fires and the queue is empty.
    pub async fn run(
        self,
        mut rx: mpsc::Receiver<Queued>,
        shed: Arc<Mutex<ShedMap>>,
        stop: CancellationToken,
    ) {
        loop {
            let first = tokio::select! {
                q = rx.recv() => q,
                () = stop.cancelled() => rx.try_recv().ok(),
            };
            let Some(first) = first else {
                self.flush(Vec::new(), &shed).await;
                return;
            };
            let mut batch = vec![first];
            let deadline = tokio::time::Instant::now() + FLUSH_EVERY;
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(q) => batch.push(q),
                    Err(_) if stop.is_cancelled() => break,
                    Err(_) => match tokio::time::timeout_at(deadline, rx.recv()).await {
                        Ok(Some(q)) => batch.push(q),
                        _ => break,
                    },
                }
            }
            self.flush(batch, &shed).await;
        }
    }

    async fn flush(&self, queued: Vec<Queued>, shed: &Mutex<ShedMap>) {
        let shed = std::mem::take(&mut *shed.lock().unwrap_or_else(|p| p.into_inner()));
        if queued.is_empty() && shed.is_empty() {
            return;
        }
        let n = queued.len();
        let (mut batch, announce) = gather(queued, shed);
        batch.limits = self.limits.limits();
        match self.store.apply(batch).await {
            Ok(applied) => {
                metrics::counter!("modt_ingest_stored_total").increment(n as u64);
                self.limits.note(&applied);
                self.announce(announce, &applied).await;
            }
            Err(e) => {
                // Not acknowledged: a QoS 1 broker sends them again after a reconnect.
                metrics::counter!("modt_ingest_store_failed_total").increment(n as u64);
                tracing::error!(error = %e, messages = n, "could not store a batch of ingested messages");
            }
        }
    }

    async fn announce(&self, a: Announcements, applied: &Applied) {
        for ack in a.acks {
            // Refused only when the connection is gone: its broker sends the message again
            // to the next session (QoS 1), where it is stored a second time.
            if ack.client.try_ack(&ack.publish).is_err() {
                metrics::counter!("modt_ingest_ack_failed_total").increment(1);
            }
        }
        let Some(client) = &self.client else { return };
        for (site, events) in by_site(a.events, &applied.devices_refused) {
            let Ok(topic) = topics::ingest_devices_changed(&site) else {
                continue;
            };
            let mut events = events.into_iter().peekable();
            while events.peek().is_some() {
                let message = DeviceEvents {
                    events: events.by_ref().take(MAX_EVENTS_PER_MESSAGE).collect(),
                };
                if let Err(e) = client
                    .publish_json_qos(&topic, &message, QoS::AtMostOnce)
                    .await
                {
                    tracing::debug!(error = %e, "device events were not published");
                }
            }
        }
        for dead in a.dead {
            let Ok(topic) = topics::ingest_dead(&dead.failure.connection_id) else {
                continue;
            };
            if let Err(e) = client
                .publish_json_qos(&topic, &dead, QoS::AtLeastOnce)
                .await
            {
                tracing::warn!(error = %e, topic = %dead.failure.topic, "a dead letter was not published");
            }
        }
    }
}

/// Aggregates a batch: counters per topic, device changes, failures; and what to announce.
fn gather(queued: Vec<Queued>, shed: ShedMap) -> (Batch, Announcements) {
    let mut batch = Batch::default();
    let mut announce = Announcements::default();
    let mut topics: HashMap<(String, String), TopicDelta> = HashMap::new();
    for q in queued {
        let r = q.received;
        announce.acks.extend(q.ack);
        let delta = topics
            .entry((r.connection_id.clone(), r.topic.clone()))
            .or_insert_with(|| TopicDelta {
                connection_id: r.connection_id.clone(),
                topic: r.topic.clone(),
                first_ms: r.at_ms,
                last_ms: r.at_ms,
                count: 0,
                parsed: 0,
                failed: 0,
                sample: String::new(),
                parser: None,
            });
        delta.count += 1;
        delta.last_ms = delta.last_ms.max(r.at_ms);
        delta.sample = r.sample;
        match r.outcome {
            Outcome::Unparsed => {
                metrics::counter!("modt_ingest_messages_total", "outcome" => "unparsed")
                    .increment(1)
            }
            Outcome::Parsed { parser, updates } => {
                metrics::counter!("modt_ingest_messages_total", "outcome" => "parsed").increment(1);
                delta.parsed += 1;
                delta.parser = Some(parser);
                announce.events.extend(updates.iter().map(event));
                batch.updates.extend(updates);
            }
            Outcome::Failed { failure, payload } => {
                metrics::counter!("modt_ingest_messages_total", "outcome" => "failed").increment(1);
                delta.failed += 1;
                delta.parser = Some(failure.parser.clone());
                announce.dead.push(IngestDeadLetter {
                    failure: (*failure).clone(),
                    payload_base64: base64::engine::general_purpose::STANDARD.encode(payload),
                });
                batch.failures.push(*failure);
            }
        }
    }
    for ((connection_id, topic), s) in shed {
        let delta = topics
            .entry((connection_id.clone(), topic.clone()))
            .or_insert_with(|| TopicDelta {
                connection_id,
                topic,
                first_ms: s.first_ms,
                last_ms: s.last_ms,
                count: 0,
                parsed: 0,
                failed: 0,
                sample: s.sample.clone(),
                parser: None,
            });
        delta.count += s.count;
        delta.first_ms = delta.first_ms.min(s.first_ms);
        delta.last_ms = delta.last_ms.max(s.last_ms);
    }
    batch.topics = topics.into_values().collect();
    (batch, announce)
}

/// `events` by site (sites in order of first event, each site's in arrival order), without
/// the devices the store left out.
fn by_site(events: Vec<DeviceEvent>, left_out: &[DeviceKey]) -> Vec<(String, Vec<DeviceEvent>)> {
    let left_out: HashSet<(&str, &str, &str, &str)> = left_out
        .iter()
        .map(|k| {
            let (s, g, d, n) = (&k.site, &k.gateway, &k.datalogger, &k.sensor);
            (s.as_str(), g.as_str(), d.as_str(), n.as_str())
        })
        .collect();
    let mut sites: Vec<(String, Vec<DeviceEvent>)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for mut event in events {
        let site = match &mut event {
            DeviceEvent::Gateway { site, gateway } => {
                if left_out.contains(&(site.as_str(), gateway.id.as_str(), "", "")) {
                    continue;
                }
                site.clone()
            }
            DeviceEvent::Readings {
                site,
                gateway,
                datalogger,
            } => {
                if !left_out.is_empty() {
                    let (s, g, d) = (site.as_str(), gateway.as_str(), datalogger.id.as_str());
                    if left_out.contains(&(s, g, "", "")) || left_out.contains(&(s, g, d, "")) {
                        continue;
                    }
                    datalogger
                        .sensors
                        .retain(|x| !left_out.contains(&(s, g, d, x.id.as_str())));
                }
                site.clone()
            }
            _ => continue,
        };
        let i = *index.entry(site.clone()).or_insert_with(|| {
            sites.push((site, Vec::new()));
            sites.len() - 1
        });
        sites[i].1.push(event);
    }
    sites
}

/// The live event of one stored change.
fn event(u: &DeviceUpdate) -> DeviceEvent {
    match u {
        DeviceUpdate::Readings {
            site,
            gateway,
            datalogger,
            model,
            firmware,
            at_ms,
            readings,
        } => {
            // Formatted once: every sensor of the message has the same time.
            let at = timestamp(*at_ms);
            DeviceEvent::Readings {
                site: site.clone(),
                gateway: gateway.clone(),
                datalogger: Datalogger {
                    id: datalogger.clone(),
                    model: model.clone(),
                    firmware: firmware.clone(),
                    last_seen: at.clone(),
                    sensors: readings
                        .iter()
                        .map(|r| Sensor {
                            id: r.sensor.clone(),
                            kind: r.kind.clone(),
                            unit: r.unit.clone(),
                            value: r.value,
                            at: at.clone(),
                        })
                        .collect(),
                },
            }
        }
        DeviceUpdate::GatewayStatus {
            site,
            gateway,
            online,
            rssi,
            at_ms,
        } => DeviceEvent::Gateway {
            site: site.clone(),
            gateway: Gateway {
                id: gateway.clone(),
                online: Some(*online),
                rssi: *rssi,
                last_seen: timestamp(*at_ms),
                dataloggers: Vec::new(),
            },
        },
    }
}
