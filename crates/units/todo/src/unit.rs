//! The todo unit as a [`Unit`]: its five API topics on shared subscriptions (so replicas
//! split the work), and, with a listener, its web page as a service.

use std::sync::Arc;
use std::time::Duration;

use modt::protocol::topics;
use modt::{Context, HandlerResult, Message, Topic, Unit};
use tokio::net::TcpListener;

use crate::api::{self, Shared};
use crate::store::TodoStore;

/// The unit's name and default id.
pub const NAME: &str = "todo";

/// The unit's kind in its presence info.
pub const KIND: &str = "todo";

/// How the todo unit behaves.
#[derive(Debug, Clone)]
pub struct TodoConfig {
    /// The URL browsers reach the page at; derived from the listener when `None`.
    pub public_url: Option<String>,
    /// The identify unit's URL; found through presence when `None`.
    pub identify_url: Option<String>,
    /// The gateway's URL the page calls; found through presence when `None`.
    pub gateway_url: Option<String>,
    /// How long the page waits for the identify unit before saying it is unavailable.
    pub timeout: Duration,
}

impl Default for TodoConfig {
    fn default() -> Self {
        TodoConfig {
            public_url: None,
            identify_url: None,
            gateway_url: None,
            timeout: Duration::from_secs(3),
        }
    }
}

type Handle =
    fn(Arc<Shared>, Context, Message) -> futures::future::BoxFuture<'static, HandlerResult>;

/// Builds the todo unit over `store`, serving its page on `listener` when given.
pub fn unit(
    store: Arc<dyn TodoStore>,
    config: TodoConfig,
    listener: Option<TcpListener>,
) -> Result<Unit, modt_web::WebError> {
    let shared = Arc::new(Shared { store });
    let routes: [(Topic, Handle); 5] = [
        (topics::TODO_LIST, |h, c, m| {
            Box::pin(api::list::handle(h, c, m))
        }),
        (topics::TODO_CREATE, |h, c, m| {
            Box::pin(api::create::handle(h, c, m))
        }),
        (topics::TODO_GET, |h, c, m| {
            Box::pin(api::get::handle(h, c, m))
        }),
        (topics::TODO_UPDATE, |h, c, m| {
            Box::pin(api::update::handle(h, c, m))
        }),
        (topics::TODO_DELETE, |h, c, m| {
            Box::pin(api::delete::handle(h, c, m))
        }),
    ];
    let mut unit = Unit::new(NAME, KIND, env!("CARGO_PKG_VERSION"));
    for (topic, handle) in routes {
        let shared = shared.clone();
        unit = unit.route_shared(topic.to_filter(), move |ctx, msg| {
            handle(shared.clone(), ctx, msg)
        });
    }
    match listener {
        Some(listener) => crate::web::serve(unit, config, listener),
        None => Ok(unit),
    }
}
