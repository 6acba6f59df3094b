//! The ingest unit as a [`Unit`]: its API topics, the `ingest` service (the writer, the
//! reconciler and, once, the demo connection), and, with a listener, its web side.

use std::sync::Arc;
use std::time::Duration;

use modt::protocol::ingest::{ConnectionDraft, Subscription};
use modt::protocol::topics;
use modt::{Context, HandlerResult, Message, ServiceContext, ServiceError, Topic, Unit};
use tokio::net::TcpListener;

use crate::api::{self, Shared};
use crate::parse::Registry;
use crate::pipeline::{Intake, LimitWatch, Writer};
use crate::reconcile::{Poke, Reconciler, StatusSink, Statuses};
use crate::secret::SecretKey;
use crate::store::{IngestStore, Limits};

/// The unit's name, default id and broker account.
pub const NAME: &str = "ingest";

/// The unit's kind in its presence info.
pub const KIND: &str = "ingest";

/// The demo connection's name (`modt up`).
pub const DEMO_NAME: &str = "demo";

/// The demo connection's client id on the unit's own broker.
pub const DEMO_CLIENT_ID: &str = "ingest-demo";

/// The demo connection's subscription: every device message of docs/ingest.md.
pub const DEMO_FILTER: &str = "+/gateway/#";

const DEMO_FLAG: &str = "demo_connection_made";

/// What the web side (`crate::web::serve`) is given.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// The URL browsers reach the page at; derived from the listener when `None`.
    pub public_url: Option<String>,
    /// The identify unit's URL; found through presence when `None`.
    pub identify_url: Option<String>,
    /// The gateway's URL the page calls; found through presence when `None`.
    pub gateway_url: Option<String>,
    /// How long the page waits for the identify unit before saying it is unavailable.
    pub timeout: Duration,
    /// The unit's data, to read (the page never writes: changes go through the API).
    pub store: Option<Arc<dyn IngestStore>>,
    /// Each connection's live status.
    pub statuses: Statuses,
    /// The limits on topics and devices, and what they left out.
    pub limits: LimitWatch,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            public_url: None,
            identify_url: None,
            gateway_url: None,
            timeout: Duration::from_secs(3),
            store: None,
            statuses: Statuses::default(),
            limits: LimitWatch::default(),
        }
    }
}

/// The broker the demo connection goes to (the unit's own, in `modt up`).
#[derive(Clone, PartialEq, Eq)]
pub struct Demo {
    /// Its host.
    pub host: String,
    /// Its port.
    pub port: u16,
    /// The account to log in with, if the broker wants one.
    pub username: Option<String>,
    /// Its password.
    pub password: Option<String>,
}

impl std::fmt::Debug for Demo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Demo")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<hidden>"))
            .finish()
    }
}

/// What the unit runs with.
#[derive(Debug)]
pub struct IngestConfig {
    /// Its data.
    pub store: Arc<dyn IngestStore>,
    /// Seals and opens connection passwords.
    pub key: Arc<SecretKey>,
    /// The parsers.
    pub registry: Registry,
    /// The reconciler's periodic sweep.
    pub sweep: Duration,
    /// The demo connection to make on first start, if any.
    pub demo: Option<Demo>,
    /// The most discovered topics and devices to record.
    pub limits: Limits,
}

type Handle =
    fn(Arc<Shared>, Context, Message) -> futures::future::BoxFuture<'static, HandlerResult>;

/// Builds the ingest unit, serving its page on `listener` when given.
pub fn unit(
    config: IngestConfig,
    mut web: WebConfig,
    listener: Option<TcpListener>,
) -> Result<Unit, modt_web::WebError> {
    let statuses = Statuses::default();
    let poke = Poke::default();
    let shared = Arc::new(Shared {
        store: config.store.clone(),
        key: config.key.clone(),
        statuses: statuses.clone(),
        poke: poke.clone(),
    });
    let routes: [(Topic, Handle); 10] = [
        (topics::INGEST_CONNECTIONS_LIST, |h, c, m| {
            Box::pin(api::connections::list(h, c, m))
        }),
        (topics::INGEST_CONNECTIONS_CREATE, |h, c, m| {
            Box::pin(api::connections::create(h, c, m))
        }),
        (topics::INGEST_CONNECTIONS_GET, |h, c, m| {
            Box::pin(api::connections::get(h, c, m))
        }),
        (topics::INGEST_CONNECTIONS_UPDATE, |h, c, m| {
            Box::pin(api::connections::update(h, c, m))
        }),
        (topics::INGEST_CONNECTIONS_DELETE, |h, c, m| {
            Box::pin(api::connections::delete(h, c, m))
        }),
        (topics::INGEST_CONNECTIONS_LOG, |h, c, m| {
            Box::pin(api::connections::log(h, c, m))
        }),
        (topics::INGEST_TOPICS_LIST, |h, c, m| {
            Box::pin(api::reads::topics(h, c, m))
        }),
        (topics::INGEST_DEVICES_LIST, |h, c, m| {
            Box::pin(api::reads::devices(h, c, m))
        }),
        (topics::INGEST_SENSOR_HISTORY, |h, c, m| {
            Box::pin(api::reads::history(h, c, m))
        }),
        (topics::INGEST_PARSE_LOG, |h, c, m| {
            Box::pin(api::reads::parse_log(h, c, m))
        }),
    ];
    let mut unit = Unit::new(NAME, KIND, env!("CARGO_PKG_VERSION"));
    for (topic, handle) in routes {
        let shared = shared.clone();
        unit = unit.route_shared(topic.to_filter(), move |ctx, msg| {
            handle(shared.clone(), ctx, msg)
        });
    }
    let limits = LimitWatch::new(config.limits);
    web.store = Some(config.store.clone());
    web.statuses = statuses.clone();
    web.limits = limits.clone();
    let unit = unit.service("ingest", move |ctx: ServiceContext| {
        run(ctx, config, shared, statuses, poke, limits)
    });
    match listener {
        Some(listener) => crate::web::serve(unit, web, listener),
        None => Ok(unit),
    }
}

/// The `ingest` service: the writer and the reconciler, until the unit stops; the writer
/// stores what the connections queued before they stopped.
async fn run(
    ctx: ServiceContext,
    config: IngestConfig,
    shared: Arc<Shared>,
    statuses: Statuses,
    poke: Poke,
    limits: LimitWatch,
) -> Result<(), ServiceError> {
    let (intake, queue, shed) = Intake::new();
    let writer = Writer {
        store: config.store.clone(),
        client: Some(ctx.client.clone()),
        limits,
    };
    let connections_stop = ctx.shutdown.child_token();
    let writer_stop = tokio_util::sync::CancellationToken::new();
    let writing = tokio::spawn(writer.run(queue, shed, writer_stop.clone()));
    if let Some(demo) = &config.demo {
        make_demo(&shared, demo).await;
    }
    let reconciler = Reconciler {
        store: config.store.clone(),
        key: config.key.clone(),
        registry: Arc::new(config.registry),
        intake,
        sink: StatusSink {
            statuses,
            store: config.store.clone(),
            client: Some(ctx.client.clone()),
        },
        sweep: config.sweep,
        poke,
    };
    reconciler.run(connections_stop).await;
    // The connections are stopped: store what they queued, then end.
    writer_stop.cancel();
    let _ = writing.await;
    Ok(())
}

/// Makes the demo connection on the first start with none (never again once deleted).
async fn make_demo(shared: &Shared, demo: &Demo) {
    let made = async {
        if shared.store.flag(DEMO_FLAG).await? || !shared.store.connections().await?.is_empty() {
            return Ok::<bool, crate::store::StoreError>(false);
        }
        let draft = ConnectionDraft {
            name: DEMO_NAME.into(),
            host: demo.host.clone(),
            port: demo.port,
            tls: false,
            username: demo.username.clone(),
            password: demo.password.clone(),
            client_id: Some(DEMO_CLIENT_ID.into()),
            subscriptions: vec![Subscription {
                filter: DEMO_FILTER.into(),
                qos: 1,
            }],
            is_active: true,
        };
        let id = uuid::Uuid::new_v4().simple().to_string();
        let Ok(row) = api::connections::new_connection(shared, id, draft) else {
            return Ok(false);
        };
        shared.store.create(row).await?;
        shared.store.set_flag(DEMO_FLAG).await?;
        Ok(true)
    }
    .await;
    match made {
        Ok(true) => {
            tracing::info!(broker = %format!("{}:{}", demo.host, demo.port), "demo connection made (delete it to stop it for good)")
        }
        Ok(false) => {}
        Err(e) => tracing::warn!(error = %e, "could not make the demo connection"),
    }
}
