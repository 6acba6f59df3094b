//! What the bus says, pushed to open devices pages: three subscriptions for the whole web
//! side, each a [`JsonFeed`] fanned out to every open page — device events
//! (`modt/ingest/devices/changed/+`), connection statuses (`modt/ingest/status/+`, retained:
//! each connection's current one arrives first) and refused messages
//! (`modt/ingest/dead/+`, whose failures feed the parse log). Each page has a queue of
//! [`LIVE_QUEUE`] items per feed; a page that falls behind skips the rest, is told so, and
//! reloads what it shows. At most [`MAX_LIVE_PAGES`] pages at once.

use modt::protocol::ingest::{ConnectionStatus, DeviceEvent, IngestDeadLetter};
use modt::protocol::topics;
use modt::{Client, QoS};
use modt_web::push::{FanoutConfig, JsonFeed, PushError, Receiver};
use std::sync::Arc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Items queued per page and feed before it skips and reloads instead.
pub const LIVE_QUEUE: usize = 512;
/// Pages following at once; one more gets 503.
pub const MAX_LIVE_PAGES: usize = 256;

const CONFIG: FanoutConfig = FanoutConfig {
    per_client: LIVE_QUEUE,
    max_clients: MAX_LIVE_PAGES,
};

/// The three feeds. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Live {
    /// Device events.
    pub devices: JsonFeed<DeviceEvent>,
    /// Connection statuses.
    pub statuses: JsonFeed<ConnectionStatus>,
    /// Refused messages.
    pub failures: JsonFeed<IngestDeadLetter>,
}

/// One page's ends of the three feeds.
#[derive(Debug)]
pub struct Follower {
    /// Device events.
    pub devices: Receiver<Arc<DeviceEvent>>,
    /// Connection statuses.
    pub statuses: Receiver<Arc<ConnectionStatus>>,
    /// Refused messages.
    pub failures: Receiver<Arc<IngestDeadLetter>>,
}

impl Live {
    /// Feeds nothing feeds yet (tests feed them with `send`).
    pub fn new() -> Live {
        Live {
            devices: JsonFeed::new(CONFIG),
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
        let (devices, a) = JsonFeed::watch(
            client,
            &topics::ALL_INGEST_DEVICES_CHANGED,
            QoS::AtMostOnce,
            CONFIG,
            shutdown.clone(),
        )
        .await?;
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
            devices: self.devices.follow(|_| true)?,
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
