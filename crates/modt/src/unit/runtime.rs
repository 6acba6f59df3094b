//! The receive → dispatch → reply loop of a running unit.
//!
//! Messages from all routes share one bounded queue. A semaphore caps handlers in flight;
//! when it is exhausted the loop waits, the queue fills, and the connection stops reading
//! (back-pressure to the broker) instead of dropping messages.

use std::sync::Arc;
use std::time::Instant;

use futures::future::Either;
use tokio::sync::{Semaphore, TryAcquireError};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::{debug_span, info, info_span, warn, Instrument};

use super::handler::{Context, HandlerError, HandlerFuture};
use super::metrics::{self, Metrics};
use super::presence::Presence;
use super::service::{ServiceContext, ServiceError};
use super::{dead_letter, Route, RouteHandler, Unit};
use crate::protocol::{topics, ErrorCode, ErrorReply, Timestamp, UnitInfo};
use crate::trace::TraceContext;
use crate::{Client, ClientConfig, Error, Message, QoS, RequestContext, Topic};

/// What the running loop shares with each handler task.
struct Shared {
    client: Client,
    unit_id: Arc<str>,
    metrics: Arc<Metrics>,
    routes: Vec<Route>,
    /// Each route's handling-time histogram, in route order.
    latency: Vec<::metrics::Histogram>,
    presence: Presence,
    ping: Topic,
    pong: Topic,
    dead_letter: Topic,
}

impl Unit {
    /// Connects with `config` (its `client_id` and `last_will` are replaced by the unit's own),
    /// announces presence, serves until `shutdown` fires, then drains in-flight handlers,
    /// publishes `offline` and disconnects.
    ///
    /// Whatever it ends with (stopped, failed to connect, a service failed), the unit's
    /// [`on_stop`](Unit::on_stop) clean-ups run afterwards, off the async runtime.
    pub async fn run(
        mut self,
        config: ClientConfig,
        shutdown: CancellationToken,
    ) -> Result<(), Error> {
        let cleanups = std::mem::take(&mut self.on_stop);
        let result = self.serve(config, shutdown).await;
        for cleanup in cleanups {
            if tokio::task::spawn_blocking(cleanup.0).await.is_err() {
                warn!("a unit's clean-up panicked");
            }
        }
        result
    }

    /// [`Unit::run`] without the clean-ups.
    async fn serve(
        self,
        mut config: ClientConfig,
        shutdown: CancellationToken,
    ) -> Result<(), Error> {
        let Unit {
            name,
            kind,
            version,
            unit_id,
            http_url,
            titles,
            admins_only,
            publishes,
            routes,
            max_in_flight,
            drain_timeout,
            services,
            web_units,
            on_stop: _,
            namespace,
            share_group,
        } = self;
        // Shared routes subscribe as one group of the unit's replicas.
        let group = share_group.unwrap_or_else(|| name.clone());
        let subscriptions = routes
            .iter()
            .map(|r| match r.shared {
                true => topics::shared(&group, &r.filter),
                false => Ok(r.filter.clone()),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let info = UnitInfo {
            unit_id: unit_id.clone(),
            name,
            kind,
            version,
            instance_id: uuid::Uuid::new_v4().simple().to_string(),
            started_at: Timestamp::now(),
            http_url,
            serves: routes.iter().map(|r| r.filter.to_string()).collect(),
            publishes,
            correlated: true,
            titles,
            admins_only,
        };
        let presence = Presence::new(info)?;
        config.client_id = ClientConfig::unique_client_id(&unit_id);
        if let Some(namespace) = namespace {
            config.namespace = namespace;
        }
        // A unit that stops answering (stopped, hung, cut off) is marked offline by its last
        // will about 1.5 keep-alives later; requesters that watch presence then fail at once.
        config.keep_alive = config.keep_alive.min(super::UNIT_KEEP_ALIVE);
        config.last_will = Some(presence.last_will());
        // Room for one outgoing message per handler in flight: when handlers outnumber the
        // queue, each waiting publish is parked in rumqttc's channel, and un-parking them costs
        // time proportional to how many wait.
        config.queue_capacity = config.queue_capacity.max(max_in_flight);
        let client = Client::connect(config).await?;
        let shared = Arc::new(Shared {
            ping: topics::unit_ping(&unit_id)?,
            pong: topics::unit_pong(&unit_id)?,
            dead_letter: topics::dead_letter(&unit_id)?,
            unit_id: unit_id.clone().into(),
            client: client.clone(),
            metrics: Arc::new(Metrics::for_unit(&unit_id)),
            latency: routes
                .iter()
                .map(|r| metrics::route_latency(&unit_id, r.filter.as_str()))
                .collect(),
            routes,
            presence,
        });

        let (inbox, mut rx) = client.inbox();
        let mut filters = subscriptions;
        filters.push(shared.ping.to_filter());
        for filter in &filters {
            client
                .subscribe_into(filter, QoS::AtLeastOnce, &inbox)
                .await?;
        }
        drop(inbox);
        shared.presence.announce(&client).await?;
        info!(unit = %unit_id, filters = ?filters.iter().map(|f| f.as_str()).collect::<Vec<_>>(), "unit online");

        let mut tasks = JoinSet::new();
        tasks.spawn(reannounce(shared.clone(), shutdown.clone()));
        // Services stop on their own token, after the handlers have drained.
        let service_stop = CancellationToken::new();
        let mut running = JoinSet::new();
        for service in services {
            let ctx = ServiceContext {
                client: client.clone(),
                shutdown: service_stop.clone(),
                unit_id: unit_id.clone(),
                web_units: web_units.clone(),
            };
            let name = service.name;
            // In the unit's scope: what the service serves is labelled with the unit
            // (e.g. modt-web's HTTP metrics).
            let fut = super::scope::UnitScope::new(&unit_id).run((service.start)(ctx));
            running.spawn(async move { (name, fut.await) });
        }
        let mut failure: Option<Error> = None;
        let permits = Arc::new(Semaphore::new(max_in_flight));
        // One cancellation waiter for the whole loop: making one per message costs two lock
        // round trips on the token each time.
        let cancelled = shutdown.cancelled();
        tokio::pin!(cancelled);
        loop {
            // Reap finished handlers here rather than one per trip through the select.
            while tasks.try_join_next().is_some() {}
            let msg = tokio::select! {
                _ = &mut cancelled => break,
                m = rx.recv_held() => match m { Some(m) => m, None => break },
                Some(_) = tasks.join_next(), if !tasks.is_empty() => continue,
                Some(done) = running.join_next(), if !running.is_empty() => {
                    failure = Some(service_failure(&unit_id, done));
                    break;
                }
            };
            let permit = match permits.clone().try_acquire_owned() {
                Ok(p) => p,
                Err(TryAcquireError::Closed) => break,
                Err(TryAcquireError::NoPermits) => tokio::select! {
                    _ = &mut cancelled => break,
                    p = permits.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => break },
                },
            };
            // Ordered routes accept here, in arrival order; the rest of the work runs concurrently.
            // The message's bytes count as held by the client until its handler is done.
            let job = prepare(shared.clone(), msg.msg);
            let hold = msg.hold;
            tasks.spawn(async move {
                job.await;
                drop(permit);
                drop(hold);
            });
        }

        info!(unit = %unit_id, in_flight = shared.metrics.snapshot().in_flight, "unit stopping");
        let drained = tokio::time::timeout(drain_timeout, async {
            // The re-announcer ends with the shutdown token; handlers end on their own.
            while tasks.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            warn!(unit = %unit_id, "in-flight handlers did not finish in {drain_timeout:?}; stopping them");
            tasks.shutdown().await;
        }
        service_stop.cancel();
        let stopped = tokio::time::timeout(drain_timeout, async {
            while let Some(done) = running.join_next().await {
                if let Ok((name, Err(e))) = done {
                    warn!(unit = %unit_id, service = %name, error = %e, "service failed while stopping");
                }
            }
        })
        .await;
        if stopped.is_err() {
            warn!(unit = %unit_id, "services did not stop in {drain_timeout:?}; stopping them");
            running.shutdown().await;
        }
        if let Err(e) = shared.presence.withdraw(&client).await {
            warn!(unit = %unit_id, error = %e, "could not publish offline status");
        }
        client.shutdown().await;
        info!(unit = %unit_id, "unit stopped");
        match failure {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

/// A service that ended while the unit was running: an error, or a return nobody asked for.
fn service_failure(
    unit_id: &str,
    done: Result<(String, Result<(), ServiceError>), tokio::task::JoinError>,
) -> Error {
    let (service, message) = match done {
        Ok((name, Err(e))) => (name, e.to_string()),
        Ok((name, Ok(()))) => (name, "it stopped before the unit did".to_string()),
        Err(e) => (
            "(unknown)".to_string(),
            format!("it panicked or was aborted: {e}"),
        ),
    };
    tracing::error!(unit = %unit_id, %service, %message, "service failed; stopping the unit");
    Error::Service {
        unit: unit_id.to_string(),
        service,
        message,
    }
}

/// After every reconnect, announce presence again: a restarted broker has lost retained state.
/// Also keeps the unit's `modt_broker_connected` gauge current.
async fn reannounce(shared: Arc<Shared>, shutdown: CancellationToken) {
    let mut conn = shared.client.connection();
    let mut seen = conn.borrow().generation;
    shared.metrics.connected(conn.borrow().connected);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            changed = conn.changed() => if changed.is_err() { break },
        }
        let state = *conn.borrow();
        shared.metrics.connected(state.connected);
        if state.connected && state.generation != seen {
            seen = state.generation;
            if let Err(e) = shared.presence.announce(&shared.client).await {
                warn!(unit = %shared.unit_id, error = %e, "could not re-announce presence");
            }
        }
    }
    // The unit disconnects next.
    shared.metrics.connected(false);
}

/// Starts handling `msg`: resolves its correlation, trace and route, runs an ordered route's
/// accept step now, and returns the rest as a future to run concurrently, inside the message's
/// span and with its trace as the task's current one (crate::trace).
fn prepare(
    shared: Arc<Shared>,
    msg: Message,
) -> impl std::future::Future<Output = ()> + Send + 'static {
    let request = RequestContext::from_message(&msg);
    let trace = TraceContext::from_message(&msg, &request);
    let span = match &trace {
        // Info level, so that every line a handler logs names its request and trace.
        Some(t) => info_span!(
            "handle",
            unit = %shared.unit_id,
            topic = %msg.topic,
            request_id = t.request_id().unwrap_or(""),
            trace_id = t.trace_id(),
        ),
        // A broadcast (the original units' protocol) names no request to trace: a debug span,
        // since at info one per message was ~10 % of a busy unit's time (profiled).
        None => debug_span!("handle", unit = %shared.unit_id, topic = %msg.topic),
    };
    let began = Instant::now();
    shared.metrics.begin();
    let ctx = Context {
        client: shared.client.clone(),
        request,
        unit_id: shared.unit_id.clone(),
        metrics: shared.metrics.clone(),
        trace: trace.clone(),
    };
    let (route, work) = match &ctx.request.problem {
        Some(problem) => (None, Err(HandlerError::bad_request(problem.clone()))),
        None => span.in_scope(|| start(&shared, &ctx, &msg)),
    };
    let handling = async move {
        let result = match work {
            Ok(fut) => fut.await,
            Err(e) => Err(e),
        };
        if let Some(histogram) = route.and_then(|i| shared.latency.get(i)) {
            metrics::record_latency(histogram, began.elapsed());
        }
        shared.metrics.end(result.is_ok());
        if let Err(e) = result {
            // Boxed: the refusal's publishes are large futures, and inline they would
            // enlarge every handler task, which is moved at spawn and at completion.
            Box::pin(refuse(&shared, &ctx, &msg, e)).await;
        }
    };
    match trace {
        Some(t) => Either::Left(t.scope(handling)),
        None => Either::Right(handling),
    }
    .instrument(span)
}

/// Picks the handler for `msg` and starts it; returns the index of its route, if it has one.
fn start(
    shared: &Arc<Shared>,
    ctx: &Context,
    msg: &Message,
) -> (Option<usize>, Result<HandlerFuture, HandlerError>) {
    if msg.topic == shared.ping.as_str() {
        let reply = shared
            .presence
            .ping_reply(&shared.metrics, ctx.request.request_id.clone());
        let (ctx, pong) = (ctx.clone(), shared.pong.clone());
        return (
            None,
            Ok(Box::pin(async move { ctx.answer(&pong, &reply).await })),
        );
    }
    let found = shared
        .routes
        .iter()
        .enumerate()
        .find(|(_, r)| r.filter.matches(&msg.topic));
    match found {
        Some((i, route)) => {
            let work = match &route.handler {
                RouteHandler::Concurrent(h) => Ok(h(ctx.clone(), msg.clone())),
                // The accept step runs here, so it gets the trace here too.
                RouteHandler::Ordered(accept) => match &ctx.trace {
                    Some(t) => t.clone().sync_scope(|| accept(ctx.clone(), msg.clone())),
                    None => accept(ctx.clone(), msg.clone()),
                },
            };
            (Some(i), work)
        }
        None => (
            None,
            Err(HandlerError::new(
                ErrorCode::NotFound,
                format!("no handler for topic {}", msg.topic),
            )),
        ),
    }
}

/// Logs, counts, dead-letters bad input, and tells the requester when it can be told.
async fn refuse(shared: &Shared, ctx: &Context, msg: &Message, e: HandlerError) {
    warn!(
        unit = %shared.unit_id,
        topic = %msg.topic,
        request_id = ctx.trace().and_then(TraceContext::request_id).unwrap_or(""),
        code = %e.code,
        error = %e.message,
        "message refused"
    );
    if e.is_bad_input() {
        shared.metrics.dead_lettered();
        if let Err(err) = dead_letter::publish(
            &shared.client,
            &shared.dead_letter,
            &shared.unit_id,
            msg,
            e.code,
            &e.message,
        )
        .await
        {
            warn!(error = %err, "could not publish to the dead-letter topic");
        }
    }
    let mut reply = ErrorReply::new(ctx.request.request_id.clone(), e.code, e.message);
    reply.error.details = e.details;
    reply.error.retry_after = e.retry_after.map(|wait| wait.as_secs().max(1));
    if let Err(err) = shared.client.reply(&ctx.request, &reply).await {
        warn!(error = %err, "could not send the error reply");
    }
}
