//! Changes made anywhere, pushed to open pages.
//!
//! One subscription to `modt/state/changed/+` for the whole unit, fanned out by
//! [`modt_web::push::JsonFeed`] to each open page that shows the user changed. Each page has a
//! queue of [`LIVE_QUEUE`] events; a page that falls behind skips the rest and is told so
//! ([`Delivery::Skipped`](modt_web::push::Delivery)), and simply reloads its table, so nothing
//! waits on a slow browser. At most [`MAX_LIVE_PAGES`] pages follow changes at once.

use std::sync::Arc;

use modt::protocol::{topics, StateChanged};
use modt::{Client, QoS};
use modt_web::push::{FanoutConfig, JsonFeed, PushError, Receiver};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Events queued per page before it skips and reloads instead.
pub const LIVE_QUEUE: usize = 256;
/// Pages following changes at once; one more gets 503.
pub const MAX_LIVE_PAGES: usize = 1024;

/// How the feed is bounded: [`LIVE_QUEUE`] events per page, [`MAX_LIVE_PAGES`] pages.
pub const LIVE_CONFIG: FanoutConfig = FanoutConfig {
    per_client: LIVE_QUEUE,
    max_clients: MAX_LIVE_PAGES,
};

/// The change feed. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Live {
    feed: JsonFeed<StateChanged>,
}

impl Live {
    /// A feed nothing feeds yet (pages may follow it; it ends when closed).
    pub fn new(config: FanoutConfig) -> Live {
        Live {
            feed: JsonFeed::new(config),
        }
    }

    /// Subscribes to every user's change events and feeds them to pages until `shutdown`
    /// fires; the returned task is the feed's owner (await it after shutdown).
    pub async fn watch(
        client: &Client,
        shutdown: CancellationToken,
    ) -> Result<(Live, JoinHandle<()>), modt::Error> {
        let filter = &topics::ALL_STATE_CHANGED;
        let (feed, feeding) =
            JsonFeed::watch(client, filter, QoS::AtLeastOnce, LIVE_CONFIG, shutdown).await?;
        Ok((Live { feed }, feeding))
    }

    /// Changes to `user_id`'s keys from now on, or [`PushError::TooManyClients`].
    pub fn follow(&self, user_id: String) -> Result<Receiver<Arc<StateChanged>>, PushError> {
        self.feed
            .follow(move |change: &StateChanged| change.user_id == user_id)
    }

    /// Pages following changes now.
    pub fn pages(&self) -> usize {
        self.feed.pages()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use modt::protocol::ChangeOp;
    use modt_web::push::Delivery;

    fn change(user_id: &str) -> StateChanged {
        StateChanged {
            timestamp: None,
            user_id: user_id.into(),
            op: ChangeOp::Set,
            key: Some("k".into()),
            value: None,
            version: Some(1),
        }
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
        live.feed.send(change("bob"));
        live.feed.send(change("alice"));
        match alice.recv().await {
            Some(Delivery::Item(c)) => assert_eq!(c.user_id, "alice"),
            other => panic!("{other:?}"),
        }
        drop(alice);
        assert_eq!(live.pages(), 1);
    }
}
