//! The state unit: its topics wired to their handlers.

use std::sync::Arc;

use modt::protocol::topics;
use modt::{Context, Message, Unit};

use crate::events;
use crate::handlers::{self, Shared};
use crate::store::Store;
use crate::Limits;

/// The unit's name and default id.
pub const NAME: &str = "state";

/// Default number of state requests the unit handles at once (its handlers in flight, the
/// SDK's [`Unit::max_in_flight`](modt::Unit::max_in_flight)); its store's write queue is sized
/// from it. High, because each in-flight write is only a queued row waiting for its group
/// commit, and a bigger batch makes commits cheaper per write. `--max-in-flight` overrides it.
pub const DEFAULT_MAX_CONCURRENT_REQUESTS: usize = 4096;

/// How the state unit behaves.
#[derive(Debug, Clone)]
pub struct StateConfig {
    /// Size limits.
    pub limits: Limits,
    /// Publish change events on `modt/state/changed/{user_id}`.
    pub events: bool,
}

impl Default for StateConfig {
    fn default() -> Self {
        StateConfig {
            limits: Limits::default(),
            events: true,
        }
    }
}

type Accept =
    fn(&Arc<Shared>, Context, Message) -> Result<modt::unit::HandlerFuture, modt::HandlerError>;

/// Builds the state unit over `store`. Its request routes are shared (`$share/state/…`), so
/// replicas on one database split the requests.
pub fn unit(store: Arc<dyn Store>, config: StateConfig) -> Unit {
    let (sink, source) = events::channel();
    let shared = Arc::new(Shared {
        store,
        limits: config.limits,
        events: config.events.then_some(sink),
    });
    let routes: [(modt::Topic, Accept); 8] = [
        (topics::STATE_SET, handlers::set::accept),
        (topics::STATE_GET, handlers::get::accept),
        (topics::STATE_KEYS_QUERY, handlers::keys::accept),
        (topics::STATE_ALL_GET, handlers::all::accept),
        (topics::STATE_DELETE, handlers::delete::accept),
        (topics::STATE_CLEAR, handlers::clear::accept),
        (topics::STATE_BULK_GET, handlers::bulk::get),
        (topics::STATE_BULK_SET, handlers::bulk::set),
    ];
    let mut unit = Unit::new(NAME, "state", env!("CARGO_PKG_VERSION"))
        .max_in_flight(DEFAULT_MAX_CONCURRENT_REQUESTS)
        .publishes([
            topics::STATE_VALUE,
            topics::STATE_KEYS_LIST,
            topics::STATE_ALL_VALUE,
        ]);
    if config.events {
        unit = unit.service("events", move |ctx| source.publish(ctx));
    }
    for (topic, accept) in routes {
        let shared = shared.clone();
        // Shared: replicas of the unit (group `state`) split the requests; each keeps the
        // arrival order of the messages it gets (docs/scaling.md).
        unit =
            unit.route_ordered_shared(topic.to_filter(), move |ctx, msg| accept(&shared, ctx, msg));
    }
    unit
}
