//! The unit runtime: a unit declares its name and a handler per topic filter; the runtime
//! owns the connection, subscriptions, concurrency limit, presence, ping, dead-lettering and
//! graceful shutdown.
//!
//! - [`handler`]: [`Context`] and [`HandlerError`].
//! - [`runtime`]: the receive → dispatch → reply loop.
//! - [`presence`]: status/info/last will.
//! - [`dead_letter`]: refused payloads.
//! - [`metrics`]: counters reported by ping and recorded as Prometheus series.
//! - [`scope`]: which unit a task (a service) works for.
//! - [`service`]: long-running tasks a unit owns (a web server, a presence watcher).
//! - [`setup`]: what a program gives every unit it builds ([`Setup`]), and [`BuildError`].

pub(crate) mod dead_letter;
pub mod handler;
pub mod metrics;
pub(crate) mod presence;
pub mod runtime;
pub mod scope;
pub mod service;
pub mod setup;

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// The longest MQTT keep-alive a unit uses: the broker publishes its last will (`offline`)
/// about 1.5 times this after it stops answering.
pub const UNIT_KEEP_ALIVE: Duration = Duration::from_secs(5);

pub use handler::{Context, HandlerError, HandlerFuture, HandlerResult};
pub use metrics::{Metrics, MetricsSnapshot};
pub use scope::UnitScope;
pub use service::{ServiceContext, ServiceError};
pub use setup::{BuildError, Setup, WebSetup};

use crate::directory::WebUnits;
use crate::protocol::Namespace;
use crate::{Message, Topic, TopicFilter};
use handler::{BoxAccept, BoxHandler};
use service::Service;

/// Default number of messages a unit's handlers work on at once ([`Unit::max_in_flight`]);
/// further messages wait in the unit's queue, then in the broker (not dropped).
pub const DEFAULT_MAX_CONCURRENT_HANDLERS: usize = 64;
/// Default time a stopping unit waits for in-flight handlers.
pub const DEFAULT_DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

pub(crate) struct Route {
    pub(crate) filter: TopicFilter,
    pub(crate) handler: RouteHandler,
    /// Whether replicas of the unit share the subscription (`$share/{group}/{filter}`).
    pub(crate) shared: bool,
}

pub(crate) enum RouteHandler {
    /// Runs entirely in its own task.
    Concurrent(BoxHandler),
    /// Accepts in arrival order on the receive loop, then finishes in its own task.
    Ordered(BoxAccept),
}

impl std::fmt::Debug for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Route")
            .field("filter", &self.filter)
            .field("shared", &self.shared)
            .finish_non_exhaustive()
    }
}

/// A unit: what it is and which topics it handles. Run it with [`Unit::run`].
///
/// ```no_run
/// use modt::{protocol::topics, ClientConfig, Context, Message, Unit};
/// # async fn demo() -> Result<(), modt::Error> {
/// let unit = Unit::new("greeter", "example", env!("CARGO_PKG_VERSION"))
///     .route(topics::ECHO.to_filter(), |ctx: Context, msg: Message| async move {
///         let body: serde_json::Value = ctx.decode(&msg)?;
///         ctx.answer(&topics::ECHO_REPLY, &body).await
///     });
/// let shutdown = tokio_util::sync::CancellationToken::new();
/// unit.run(ClientConfig::new("127.0.0.1", 1883, "unused"), shutdown).await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Unit {
    pub(crate) name: String,
    pub(crate) kind: String,
    pub(crate) version: String,
    pub(crate) unit_id: String,
    pub(crate) http_url: Option<String>,
    pub(crate) titles: BTreeMap<String, String>,
    pub(crate) admins_only: bool,
    pub(crate) publishes: Vec<String>,
    pub(crate) routes: Vec<Route>,
    pub(crate) max_in_flight: usize,
    pub(crate) drain_timeout: Duration,
    pub(crate) services: Vec<Service>,
    pub(crate) web_units: WebUnits,
    pub(crate) on_stop: Vec<Cleanup>,
    /// The topic namespace the unit's client speaks; `None`: the client config's.
    pub(crate) namespace: Option<Namespace>,
    /// The `$share` group of shared routes; `None`: the unit's name.
    pub(crate) share_group: Option<String>,
}

/// Blocking clean-up run after a unit stops (see [`Unit::on_stop`]).
pub(crate) struct Cleanup(pub(crate) Box<dyn FnOnce() + Send + 'static>);

impl std::fmt::Debug for Cleanup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Cleanup")
    }
}

impl Unit {
    /// A unit named `name` (also its default id) of `kind`, at software `version`.
    pub fn new(
        name: impl Into<String>,
        kind: impl Into<String>,
        version: impl Into<String>,
    ) -> Self {
        let name = name.into();
        Unit {
            unit_id: name.clone(),
            name,
            kind: kind.into(),
            version: version.into(),
            http_url: None,
            titles: BTreeMap::new(),
            admins_only: false,
            publishes: Vec::new(),
            routes: Vec::new(),
            max_in_flight: DEFAULT_MAX_CONCURRENT_HANDLERS,
            drain_timeout: DEFAULT_DRAIN_TIMEOUT,
            services: Vec::new(),
            web_units: WebUnits::Any,
            on_stop: Vec::new(),
            namespace: None,
            share_group: None,
        }
    }

    /// Runs `cleanup` after the unit has stopped (drained, announced `offline`), however
    /// [`Unit::run`] ended, on a blocking thread: closing what the unit opened, e.g. flushing
    /// and closing its database. Clean-ups run in the order they were added.
    pub fn on_stop(mut self, cleanup: impl FnOnce() + Send + 'static) -> Self {
        self.on_stop.push(Cleanup(Box::new(cleanup)));
        self
    }

    /// The topic filters the unit handles, in route order (announced as `serves`).
    pub fn serves(&self) -> Vec<String> {
        self.routes.iter().map(|r| r.filter.to_string()).collect()
    }

    /// The public web address the unit announces, if it has a web side.
    pub fn web_address(&self) -> Option<&str> {
        self.http_url.as_deref()
    }

    /// The unit's id (`modt/units/{id}/…`; by default its name).
    pub fn id(&self) -> &str {
        &self.unit_id
    }

    /// The unit's name (its default id and its broker account).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Runs the unit in topic namespace `namespace` (the first level of its topics on the wire,
    /// in place of `modt`), whatever the client config given to [`Unit::run`] says. Without
    /// it, the config's [`namespace`](crate::ClientConfig::namespace) holds.
    ///
    /// ```
    /// use modt::{protocol::Namespace, Unit};
    /// let unit = Unit::new("echo", "echo", "1.0").namespace(Namespace::new("tenant-a").unwrap());
    /// ```
    pub fn namespace(mut self, namespace: Namespace) -> Self {
        self.namespace = Some(namespace);
        self
    }

    /// Names the `$share` group of the unit's shared routes ([`Unit::route_shared`]); by
    /// default the unit's name. Replicas in one group split the messages; replicas in
    /// different groups each get every message.
    pub fn share_group(mut self, group: impl Into<String>) -> Self {
        self.share_group = Some(group.into());
        self
    }

    /// Runs the unit as one replica of `group`: its shared routes subscribe as
    /// `$share/{group}/{filter}`, and a unit that declares no shared route (it was not written
    /// with replicas in mind) has every route shared, so N processes started with the same
    /// group split its requests (`modt unit NAME --replicas-group GROUP`). Do not use it on a
    /// unit whose routes take broadcasts that every instance must see. Give each replica its
    /// own [`Unit::unit_id`].
    ///
    /// ```
    /// use modt::{protocol::topics, Context, Message, Unit};
    /// let echo = Unit::new("echo", "echo", "1.0")
    ///     .route(topics::ECHO.to_filter(), |ctx: Context, msg: Message| async move {
    ///         let body: serde_json::Value = ctx.decode(&msg)?;
    ///         ctx.answer(&topics::ECHO_REPLY, &body).await
    ///     })
    ///     .unit_id("echo-2")
    ///     .replicas_group("echo");
    /// assert_eq!(echo.shared_filters(), ["$share/echo/modt/echo"]);
    /// ```
    pub fn replicas_group(mut self, group: impl Into<String>) -> Self {
        if !self.routes.iter().any(|r| r.shared) {
            for route in &mut self.routes {
                route.shared = true;
            }
        }
        self.share_group(group)
    }

    /// The filters of the shared routes as subscribed (`$share/{group}/{filter}`), in route
    /// order: what replicas of the unit split between them.
    pub fn shared_filters(&self) -> Vec<String> {
        let group = self.share_group.as_deref().unwrap_or(&self.name);
        self.routes
            .iter()
            .filter(|r| r.shared)
            .filter_map(|r| crate::protocol::topics::shared(group, &r.filter).ok())
            .map(String::from)
            .collect()
    }

    /// Sets the unit id (the level in `modt/units/{unit_id}/…`); defaults to the name.
    /// Replicas of one unit need one each, so that presence and ping tell them apart.
    pub fn unit_id(mut self, unit_id: impl Into<String>) -> Self {
        self.unit_id = unit_id.into();
        self
    }

    /// Sets the public web address announced in the unit's info.
    pub fn http_url(mut self, url: impl Into<String>) -> Self {
        self.http_url = Some(url.into());
        self
    }

    /// Names the unit's web side for people in language `lang` (`en`, `ja`), announced in its
    /// info; other units' pages link to it by this title.
    pub fn title(mut self, lang: impl Into<String>, title: impl Into<String>) -> Self {
        self.titles.insert(lang.into(), title.into());
        self
    }

    /// Announces the web side as for administrators only, so other pages offer it only to
    /// them (the unit must still check the role on every request).
    pub fn admins_only(mut self) -> Self {
        self.admins_only = true;
        self
    }

    /// Declares topics the unit publishes (for its info document).
    pub fn publishes(mut self, topics: impl IntoIterator<Item = Topic>) -> Self {
        self.publishes.extend(topics.into_iter().map(String::from));
        self
    }

    /// Sets whose announced web addresses the unit's services may show or follow
    /// ([`ServiceContext::directory`]); by default, every unit's.
    pub fn web_units(mut self, web_units: WebUnits) -> Self {
        self.web_units = web_units;
        self
    }

    /// Sets how many messages are handled at once; further messages wait.
    pub fn max_in_flight(mut self, n: usize) -> Self {
        self.max_in_flight = n.max(1);
        self
    }

    /// Sets how long a stopping unit waits for in-flight handlers.
    pub fn drain_timeout(mut self, d: Duration) -> Self {
        self.drain_timeout = d;
        self
    }

    /// Handles messages matching `filter` with `handler`. The first matching route wins.
    pub fn route<F, Fut>(mut self, filter: TopicFilter, handler: F) -> Self
    where
        F: Fn(Context, Message) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = HandlerResult> + Send + 'static,
    {
        let handler: BoxHandler = Arc::new(move |ctx, msg| Box::pin(handler(ctx, msg)));
        self.routes.push(Route {
            filter,
            handler: RouteHandler::Concurrent(handler),
            shared: false,
        });
        self
    }

    /// Runs `start` as a service of this unit (see [`service`]): it starts once the unit is
    /// online and must return when [`ServiceContext::shutdown`] fires. If it returns an error,
    /// the unit stops and [`Unit::run`] reports it.
    pub fn service<F, Fut>(mut self, name: impl Into<String>, start: F) -> Self
    where
        F: FnOnce(ServiceContext) -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), ServiceError>> + Send + 'static,
    {
        self.services.push(Service {
            name: name.into(),
            start: Box::new(move |ctx| Box::pin(start(ctx))),
        });
        self
    }

    /// Handles messages matching `filter` in two steps: `accept` runs on the receive loop in
    /// the order messages arrived (so it must be quick and never block: decode, validate,
    /// enqueue), and the future it returns finishes concurrently with other messages.
    /// Use it where order matters, e.g. writes to a store.
    pub fn route_ordered<F>(mut self, filter: TopicFilter, accept: F) -> Self
    where
        F: Fn(Context, Message) -> Result<HandlerFuture, HandlerError> + Send + Sync + 'static,
    {
        self.routes.push(Route {
            filter,
            handler: RouteHandler::Ordered(Arc::new(accept)),
            shared: false,
        });
        self
    }

    /// Like [`Unit::route`], but the subscription is shared by every replica of the unit
    /// (MQTT 5 shared subscription `$share/{group}/{filter}`, group from
    /// [`Unit::share_group`], default the unit's name): the broker hands each message to one
    /// of them, so replicas split the work. Give each replica its own [`Unit::unit_id`].
    ///
    /// ```
    /// use modt::{protocol::topics, Context, Message, Unit};
    /// let replica = Unit::new("echo", "echo", "1.0")
    ///     .unit_id("echo-2")
    ///     .route_shared(topics::ECHO.to_filter(), |ctx: Context, msg: Message| async move {
    ///         let body: serde_json::Value = ctx.decode(&msg)?;
    ///         ctx.answer(&topics::ECHO_REPLY, &body).await
    ///     });
    /// assert_eq!(replica.serves(), ["modt/echo"]);
    /// ```
    pub fn route_shared<F, Fut>(mut self, filter: TopicFilter, handler: F) -> Self
    where
        F: Fn(Context, Message) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = HandlerResult> + Send + 'static,
    {
        self = self.route(filter, handler);
        self.share_last();
        self
    }

    /// Like [`Unit::route_ordered`], with the subscription shared by the unit's replicas as
    /// in [`Unit::route_shared`] (each replica keeps the order of the messages it gets).
    pub fn route_ordered_shared<F>(mut self, filter: TopicFilter, accept: F) -> Self
    where
        F: Fn(Context, Message) -> Result<HandlerFuture, HandlerError> + Send + Sync + 'static,
    {
        self = self.route_ordered(filter, accept);
        self.share_last();
        self
    }

    fn share_last(&mut self) {
        if let Some(route) = self.routes.last_mut() {
            route.shared = true;
        }
    }
}
