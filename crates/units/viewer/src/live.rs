//! Changes made anywhere, pushed to open pages.
//!
//! One subscription to `modt/state/changed/+` for the whole unit, fanned out by
//! [`modt_web::push::Fanout`] to each open page that shows the user changed. Each page has a
//! queue of [`LIVE_QUEUE`] events; a page that falls behind skips the rest and is told so
//! ([`Delivery::Skipped`](modt_web::push::Delivery)), and simply reloads its table, so nothing
//! waits on a slow browser. At most [`MAX_LIVE_PAGES`] pages follow changes at once.

use std::sync::Arc;

use modt::protocol::{topics, StateChanged};
use modt::{Client, QoS};
use modt_web::push::{Fanout, FanoutConfig, PushError, Receiver};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::debug;

/// Events queued per page before it skips and reloads instead.
pub const LIVE_QUEUE: usize = 256;
/// Pages following changes at once; one more gets 503.
pub const MAX_LIVE_PAGES: usize = 1024;

/// The change feed. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Live {
    fanout: Fanout<Arc<StateChanged>>,
}

impl Live {
    /// A feed nothing feeds yet (pages may follow it; it ends when closed).
    pub fn new(config: FanoutConfig) -> Live {
        Live {
            fanout: Fanout::new(config),
        }
    }

    /// Subscribes to every user's change events and feeds them to pages until `shutdown`
    /// fires; the returned task is the feed's owner (await it after shutdown).
    pub async fn watch(
        client: &Client,
        shutdown: CancellationToken,
    ) -> Result<(Live, JoinHandle<()>), modt::Error> {
        let live = Live::new(FanoutConfig {
            per_client: LIVE_QUEUE,
            max_clients: MAX_LIVE_PAGES,
        });
        let sub = client
            .subscribe(&topics::ALL_STATE_CHANGED, QoS::AtLeastOnce)
            .await?;
        let feeding = live.fanout.clone().pump(sub, shutdown, |fanout, msg| {
            match msg.json::<StateChanged>() {
                Ok(event) => drop(fanout.send(&Arc::new(event))),
                Err(e) => debug!(error = %e, "ignoring an unreadable change event"),
            }
        });
        Ok((live.clone(), tokio::spawn(feeding)))
    }

    /// Changes to `user_id`'s keys from now on, or [`PushError::TooManyClients`].
    pub fn follow(&self, user_id: String) -> Result<Receiver<Arc<StateChanged>>, PushError> {
        self.fanout
            .subscribe(move |change: &Arc<StateChanged>| change.user_id == user_id)
    }

    /// Pages following changes now.
    pub fn pages(&self) -> usize {
        self.fanout.clients()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use modt::protocol::ChangeOp;
    use modt_web::push::Delivery;

    fn change(user_id: &str) -> Arc<StateChanged> {
        Arc::new(StateChanged {
            timestamp: None,
            user_id: user_id.into(),
            op: ChangeOp::Set,
            key: Some("k".into()),
            value: None,
            version: Some(1),
        })
    }

    #[tokio::test]
    async fn a_page_hears_only_its_user_and_pages_are_limited() {
        let live = Live::new(FanoutConfig {
            per_client: 4,
            max_clients: 2,
        });
        let mut alice = live.follow("alice".into()).unwrap();
        let _bob = live.follow("bob".into()).unwrap();
        assert_eq!(
            live.follow("carol".into()).unwrap_err(),
            PushError::TooManyClients(2)
        );
        live.fanout.send(&change("bob"));
        live.fanout.send(&change("alice"));
        match alice.recv().await {
            Some(Delivery::Item(c)) => assert_eq!(c.user_id, "alice"),
            other => panic!("{other:?}"),
        }
        drop(alice);
        assert_eq!(live.pages(), 1);
    }
}
