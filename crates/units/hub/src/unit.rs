//! The hub unit: its three request filters wired to their handlers.

use std::sync::Arc;

use modt::protocol::topics;
use modt::{Context, Message, Unit};

use crate::handlers::{self, Shared};
use crate::{Defaults, HubStore, Limits};

/// The unit's name and default id.
pub const NAME: &str = "hub";

/// How the hub behaves.
#[derive(Debug, Clone, Default)]
pub struct HubConfig {
    /// Size limits on requests.
    pub limits: Limits,
    /// Static defaults, answered with 203 when a key has no live value.
    pub defaults: Defaults,
}

type Accept =
    fn(&Arc<Shared>, Context, Message) -> Result<modt::unit::HandlerFuture, modt::HandlerError>;

/// Builds the hub unit over `store`. Routes are ordered, so requests reach the store in the
/// order they arrived (a POST then a GET from one unit reads the POST).
pub fn unit(store: Arc<dyn HubStore>, config: HubConfig) -> Unit {
    let shared = Arc::new(Shared {
        store,
        defaults: config.defaults,
        limits: config.limits,
    });
    let routes: [(modt::TopicFilter, Accept); 3] = [
        (topics::ALL_HUB_GET, handlers::get::accept),
        (topics::ALL_HUB_POST, handlers::post_put::post),
        (topics::ALL_HUB_PUT, handlers::post_put::put),
    ];
    // It publishes on `modt/{unit}/response` for every requesting unit: a filter, not a topic,
    // so the info document lists none.
    let mut unit = Unit::new(NAME, "hub", env!("CARGO_PKG_VERSION"));
    for (filter, accept) in routes {
        let shared = shared.clone();
        unit = unit.route_ordered(filter, move |ctx, msg| accept(&shared, ctx, msg));
    }
    unit
}
