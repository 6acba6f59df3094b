//! Changes made anywhere, pushed to open pages: one subscription to
//! `modt/todo/changed/+` for the whole unit (so changes made through any replica arrive),
//! fanned out by [`modt_web::push::JsonFeed`] to each open page of the user changed. Each page
//! has a queue of [`LIVE_QUEUE`] events; a page that falls behind skips the rest, is told
//! so, and reloads its list. At most [`MAX_LIVE_PAGES`] pages follow changes at once.

use std::sync::Arc;

use modt::protocol::{topics, TodoChanged};
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
    feed: JsonFeed<TodoChanged>,
}

impl Live {
    /// A feed nothing feeds yet (pages may follow it).
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
        let filter = &topics::ALL_TODO_CHANGED;
        let (feed, feeding) =
            JsonFeed::watch(client, filter, QoS::AtMostOnce, LIVE_CONFIG, shutdown).await?;
        Ok((Live { feed }, feeding))
    }

    /// Changes to `user_id`'s todos from now on, or [`PushError::TooManyClients`].
    pub fn follow(&self, user_id: String) -> Result<Receiver<Arc<TodoChanged>>, PushError> {
        self.feed
            .follow(move |change: &TodoChanged| change.user_id == user_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use modt::protocol::TodoOp;
    use modt_web::push::Delivery;

    fn change(user_id: &str, version: u64) -> TodoChanged {
        TodoChanged {
            user_id: user_id.into(),
            op: TodoOp::Updated,
            id: "t".into(),
            version,
            todo: None,
        }
    }

    #[tokio::test]
    async fn a_page_hears_only_its_user_pages_are_limited_and_a_slow_one_skips() {
        let live = Live::new(FanoutConfig {
            per_client: 2,
            max_clients: 2,
        });
        let mut ann = live.follow("ann".into()).unwrap();
        let _bob = live.follow("bob".into()).unwrap();
        assert_eq!(
            live.follow("cy".into()).unwrap_err(),
            PushError::TooManyClients(2)
        );
        live.feed.send(change("bob", 1));
        for v in 1..=3 {
            live.feed.send(change("ann", v));
        }
        let mut got = Vec::new();
        for _ in 0..3 {
            got.push(match ann.recv().await {
                Some(Delivery::Item(c)) => format!("{}:{}", c.user_id, c.version),
                Some(Delivery::Skipped(n)) => format!("skipped {n}"),
                None => "closed".into(),
            });
        }
        // A queue of 2: the third change is skipped and the page told so (it reloads).
        assert_eq!(
            got,
            ["skipped 1", "ann:1", "ann:2"],
            "bob's never reaches ann"
        );
    }
}
