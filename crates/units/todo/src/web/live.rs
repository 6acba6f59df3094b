//! Changes made anywhere, pushed to open pages: one subscription to
//! `modt/todo/changed/+` for the whole unit (so changes made through any replica arrive),
//! fanned out by [`modt_web::push::Fanout`] to each open page of the user changed. Each page
//! has a queue of [`LIVE_QUEUE`] events; a page that falls behind skips the rest, is told
//! so, and reloads its list. At most [`MAX_LIVE_PAGES`] pages follow changes at once.

use std::sync::Arc;

use modt::protocol::{topics, TodoChanged};
use modt::{Client, QoS};
use modt_web::push::{Fanout, FanoutConfig, PushError, Receiver};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Events queued per page before it skips and reloads instead.
pub const LIVE_QUEUE: usize = 256;
/// Pages following changes at once; one more gets 503.
pub const MAX_LIVE_PAGES: usize = 1024;

/// The change feed. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Live {
    fanout: Fanout<Arc<TodoChanged>>,
}

impl Live {
    /// Subscribes to every user's change events and feeds them to pages until `shutdown`
    /// fires; the returned task is the feed's owner (await it after shutdown).
    pub async fn watch(
        client: &Client,
        shutdown: CancellationToken,
    ) -> Result<(Live, JoinHandle<()>), modt::Error> {
        let live = Live {
            fanout: Fanout::new(FanoutConfig {
                per_client: LIVE_QUEUE,
                max_clients: MAX_LIVE_PAGES,
            }),
        };
        let sub = client
            .subscribe(&topics::ALL_TODO_CHANGED, QoS::AtMostOnce)
            .await?;
        let feeding = live.fanout.clone().pump(sub, shutdown, |fanout, msg| {
            match msg.json::<TodoChanged>() {
                Ok(event) => drop(fanout.send(&Arc::new(event))),
                Err(e) => tracing::debug!(error = %e, "ignoring an unreadable todo change"),
            }
        });
        Ok((live.clone(), tokio::spawn(feeding)))
    }

    /// Changes to `user_id`'s todos from now on, or [`PushError::TooManyClients`].
    pub fn follow(&self, user_id: String) -> Result<Receiver<Arc<TodoChanged>>, PushError> {
        self.fanout
            .subscribe(move |change: &Arc<TodoChanged>| change.user_id == user_id)
    }
}
