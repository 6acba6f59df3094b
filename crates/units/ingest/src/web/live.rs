//! What the bus says, pushed to open devices pages: three subscriptions for the whole web
//! side, each a [`JsonFeed`] fanned out to every open page — device events
//! (`modt/ingest/devices/changed/+`), connection statuses (`modt/ingest/status/+`, retained:
//! each connection's current one arrives first) and refused messages
//! (`modt/ingest/dead/+`, whose failures feed the parse log). Each page has a queue of
//! [`LIVE_QUEUE`] items per feed ([`LIVE_DEVICE_MESSAGES`] messages of device events); a page that falls behind skips the rest, is told so, and
//! reloads what it shows. At most [`MAX_LIVE_PAGES`] pages at once.

use modt::protocol::ingest::{ConnectionStatus, IngestDeadLetter};
use modt::protocol::topics;
use modt::{Client, QoS};
use modt_web::push::{Fanout, FanoutConfig, JsonFeed, PushError, Receiver};
use std::sync::Arc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use modt::protocol::ingest::DeviceEvents;

/// Items queued per page and feed before it skips and reloads instead.
pub const LIVE_QUEUE: usize = 512;
/// Pages following at once; one more gets 503.
pub const MAX_LIVE_PAGES: usize = 256;

/// Messages of device events (each up to `MAX_EVENTS_PER_MESSAGE` events) queued per page
/// before it skips and reloads: as many events as [`LIVE_QUEUE`] allows, and more.
pub const LIVE_DEVICE_MESSAGES: usize = 16;

const CONFIG: FanoutConfig = FanoutConfig {
    per_client: LIVE_QUEUE,
    max_clients: MAX_LIVE_PAGES,
};

const DEVICE_CONFIG: FanoutConfig = FanoutConfig {
    per_client: LIVE_DEVICE_MESSAGES,
    max_clients: MAX_LIVE_PAGES,
};

/// The three feeds. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Live {
    /// Device events, a message (of one site, in arrival order) at a time.
    pub devices: Fanout<Arc<DeviceEvents>>,
    /// Connection statuses.
    pub statuses: JsonFeed<ConnectionStatus>,
    /// Refused messages.
    pub failures: JsonFeed<IngestDeadLetter>,
}

/// One page's ends of the three feeds.
#[derive(Debug)]
pub struct Follower {
    /// Device events, a message at a time.
    pub devices: Receiver<Arc<DeviceEvents>>,
    /// Connection statuses.
    pub statuses: Receiver<Arc<ConnectionStatus>>,
    /// Refused messages.
    pub failures: Receiver<Arc<IngestDeadLetter>>,
}

impl Live {
    /// Feeds nothing feeds yet (tests feed them with `send`).
    pub fn new() -> Live {
        Live {
            devices: Fanout::new(DEVICE_CONFIG),
            statuses: JsonFeed::new(CONFIG),
            failures: JsonFeed::new(CONFIG),
        }
    }

    /// Subscribes the three feeds and feeds them until `shutdown` fires; the returned tasks
    /// are their owners (await them after shutdown).
    pub async fn watch(
        client: &Client,
        shutdown: CancellationToken,
    ) -> Result<(Live, Vec<JoinHandle<()>>), modt::Error> {
        let devices = Fanout::new(DEVICE_CONFIG);
        let sub = client
            .subscribe(&topics::ALL_INGEST_DEVICES_CHANGED, QoS::AtMostOnce)
            .await?;
        // Device events are the busy feed: decoded only while a page follows.
        let feeding = devices
            .clone()
            .pump(sub, shutdown.clone(), |fanout, msg| {
                if fanout.clients() == 0 {
                    return;
                }
                match msg.json::<DeviceEvents>() {
                    Ok(events) => drop(fanout.send(&Arc::new(events))),
                    Err(e) => tracing::debug!(topic = %msg.topic, error = %e, "ignoring unreadable device events"),
                }
            });
        let a = tokio::spawn(feeding);
        let (statuses, b) = JsonFeed::watch(
            client,
            &topics::ALL_INGEST_STATUS,
            QoS::AtLeastOnce,
            CONFIG,
            shutdown.clone(),
        )
        .await?;
        let (failures, c) = JsonFeed::watch(
            client,
            &topics::ALL_INGEST_DEAD,
            QoS::AtMostOnce,
            CONFIG,
            shutdown,
        )
        .await?;
        let live = Live {
            devices,
            statuses,
            failures,
        };
        Ok((live, vec![a, b, c]))
    }

    /// A page's ends of every feed, or [`PushError::TooManyClients`].
    pub fn follow(&self) -> Result<Follower, PushError> {
        Ok(Follower {
            devices: self.devices.subscribe(|_| true)?,
            statuses: self.statuses.follow(|_| true)?,
            failures: self.failures.follow(|_| true)?,
        })
    }
}

impl Default for Live {
    fn default() -> Self {
        Live::new()
    }
}
