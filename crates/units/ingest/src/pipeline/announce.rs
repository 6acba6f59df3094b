//! The announcer: takes stored batches from the writer, in the order they were committed
//! (a queue of [`ANNOUNCE_QUEUE`] batches; the writer waits for room), and for each one
//! acknowledges its QoS 1 messages on their brokers, publishes its [`DeviceEvent`]s per site,
//! in arrival order, in messages of up to [`MAX_EVENTS_PER_MESSAGE`] ([`DeviceEvents`], QoS
//! 0, `modt/ingest/devices/changed/{site}`), and an [`IngestDeadLetter`] per refused message
//! (QoS 1, `modt/ingest/dead/{connection}`). What the store left out for the limits is not
//! announced. It runs beside the writer, so the database writes the next batch meanwhile.

use std::collections::{HashMap, HashSet};

use modt::protocol::ingest::{DeviceEvent, DeviceEvents, IngestDeadLetter};
use modt::protocol::topics;
use modt::QoS;
use tokio::sync::mpsc;

use super::intake::Ack;
use super::{ANNOUNCE_QUEUE, MAX_EVENTS_PER_MESSAGE};
use crate::store::{Applied, DeviceKey};

/// What one batch announces once stored.
#[derive(Debug, Default)]
pub(super) struct Announcements {
    pub(super) events: Vec<DeviceEvent>,
    pub(super) dead: Vec<IngestDeadLetter>,
    pub(super) acks: Vec<Ack>,
}

/// A committed batch's announcements and what the store left out of it.
#[derive(Debug)]
pub(super) struct Stored {
    pub(super) announce: Announcements,
    pub(super) applied: Applied,
}

/// The writer's side of the announcer's queue, and the announcer task.
pub(super) fn start(
    client: Option<modt::Client>,
) -> (mpsc::Sender<Stored>, tokio::task::JoinHandle<()>) {
    let (tx, rx) = mpsc::channel(ANNOUNCE_QUEUE);
    (tx, tokio::spawn(run(client, rx)))
}

/// Announces every batch queued, until the writer drops its side and the queue is empty.
async fn run(client: Option<modt::Client>, mut rx: mpsc::Receiver<Stored>) {
    while let Some(stored) = rx.recv().await {
        announce(client.as_ref(), stored).await;
    }
}

async fn announce(client: Option<&modt::Client>, s: Stored) {
    for ack in s.announce.acks {
        // Refused only when the connection is gone: its broker sends the message again
        // to the next session (QoS 1), where it is stored a second time.
        if ack.client.try_ack(&ack.publish).is_err() {
            metrics::counter!("modt_ingest_ack_failed_total").increment(1);
        }
    }
    let Some(client) = client else { return };
    for (site, events) in by_site(s.announce.events, &s.applied.devices_refused) {
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
    for dead in s.announce.dead {
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
