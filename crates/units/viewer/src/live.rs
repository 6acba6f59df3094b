//! Changes made anywhere, pushed to open pages.
//!
//! One subscription to `modt/state/changed/+` for the whole unit; each event is fanned out
//! through a bounded broadcast channel. A page that falls behind gets a lag notice instead of
//! the missed events, and simply reloads its table, so nothing waits on a slow browser.

use std::sync::Arc;

use modt::protocol::{topics, StateChanged};
use modt::{Client, QoS};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;
use tracing::debug;

/// Events buffered per page before it counts as lagging.
pub const LIVE_QUEUE: usize = 256;

/// The change feed. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Live {
    tx: broadcast::Sender<Arc<StateChanged>>,
}

impl Live {
    /// Subscribes to every user's change events until `shutdown` fires.
    pub async fn watch(client: &Client, shutdown: CancellationToken) -> Result<Live, modt::Error> {
        let (tx, _) = broadcast::channel(LIVE_QUEUE);
        let mut sub = client
            .subscribe(&topics::ALL_STATE_CHANGED, QoS::AtLeastOnce)
            .await?;
        let feed = tx.clone();
        tokio::spawn(async move {
            loop {
                let msg = tokio::select! {
                    _ = shutdown.cancelled() => return,
                    m = sub.recv() => match m { Some(m) => m, None => return },
                };
                match msg.json::<StateChanged>() {
                    // No page open is not an error.
                    Ok(event) => drop(feed.send(Arc::new(event))),
                    Err(e) => debug!(error = %e, "ignoring an unreadable change event"),
                }
            }
        });
        Ok(Live { tx })
    }

    /// A new listener for changes from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<StateChanged>> {
        self.tx.subscribe()
    }
}
