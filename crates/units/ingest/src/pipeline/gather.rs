//! One batch in the making: each message is folded in as the writer takes it from the queue
//! (topic counters, device changes, failures, and what to announce once stored), so that
//! closing a batch costs nothing while the previous one is being written.

use std::collections::HashMap;

use base64::Engine as _;
use modt::protocol::ingest::{Datalogger, DeviceEvent, Gateway, IngestDeadLetter, Sensor};

use super::announce::Announcements;
use super::intake::{Queued, ShedMap};
use crate::model::{timestamp, DeviceUpdate, Outcome};
use crate::store::{Batch, TopicDelta};

/// The messages taken so far for the next batch.
#[derive(Debug, Default)]
pub(super) struct Gathering {
    topics: HashMap<(String, String), TopicDelta>,
    batch: Batch,
    announce: Announcements,
    messages: usize,
}

impl Gathering {
    /// Messages taken.
    pub(super) fn len(&self) -> usize {
        self.messages
    }

    /// Takes one message.
    pub(super) fn add(&mut self, q: Queued) {
        self.messages += 1;
        let r = q.received;
        self.announce.acks.extend(q.ack);
        let delta = self
            .topics
            .entry((r.connection_id, r.topic))
            .or_insert_with_key(|(connection_id, topic)| TopicDelta {
                connection_id: connection_id.clone(),
                topic: topic.clone(),
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
                self.announce.events.extend(updates.iter().map(event));
                self.batch.updates.extend(updates);
            }
            Outcome::Failed {
                failure,
                payload,
                payload_bytes,
            } => {
                metrics::counter!("modt_ingest_messages_total", "outcome" => "failed").increment(1);
                delta.failed += 1;
                delta.parser = Some(failure.parser.clone());
                self.announce.dead.push(IngestDeadLetter {
                    failure: (*failure).clone(),
                    payload_base64: base64::engine::general_purpose::STANDARD.encode(&payload),
                    truncated: payload_bytes > payload.len(),
                    payload_bytes,
                });
                self.batch.failures.push(*failure);
            }
        }
    }

    /// The batch to store (with what was `shed` since the last one counted in its topics)
    /// and what to announce once it is stored.
    pub(super) fn finish(mut self, shed: ShedMap) -> (Batch, Announcements) {
        for ((connection_id, topic), s) in shed {
            let delta = self
                .topics
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
        self.batch.topics = self.topics.into_values().collect();
        (self.batch, self.announce)
    }
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use modt::protocol::MAX_DEAD_LETTER_PAYLOAD;

    use super::*;
    use crate::parse::Registry;

    #[test]
    fn a_large_refused_payload_is_truncated_in_its_dead_letter_and_marked_so() {
        let payload = vec![b'x'; 200 * 1024];
        let received = Registry::builtin().unwrap().receive(
            "c1",
            "plant-a/gateway/7/datalogger/SN1",
            &payload,
            1,
        );
        let mut g = Gathering::default();
        g.add(Queued {
            received,
            ack: None,
        });
        let (_, announce) = g.finish(ShedMap::new());
        let dead = &announce.dead[0];
        assert!(dead.truncated);
        assert_eq!(dead.payload_bytes, 200 * 1024);
        let kept = base64::engine::general_purpose::STANDARD
            .decode(&dead.payload_base64)
            .unwrap();
        assert_eq!(kept, payload[..MAX_DEAD_LETTER_PAYLOAD]);
    }
}
