//! The units this binary runs, by name: one place shared by `modt up` and `modt unit`.

use std::sync::Arc;

use anyhow::Context as _;
use modt::{ClientConfig, Unit};
use tokio_util::sync::CancellationToken;

use crate::cli::{UnitArgs, UnitName};

/// Every unit `modt up` starts, in start order.
pub(crate) const ALL: &[UnitName] = &[
    UnitName::State,
    UnitName::Hub,
    UnitName::Echo,
    UnitName::Identify,
    UnitName::Dummy,
    UnitName::Viewer,
    UnitName::Monitor,
];

/// The state unit's database file in the data directory; the original db-unit's file name,
/// so its data directory can be used as it is.
pub(crate) const STATE_DB: &str = "modt_state.db";

/// Jobs the hub's store thread queues at least (more when `--max-in-flight` is higher).
const HUB_QUEUE: usize = 1024;

/// A unit ready to run, with what must happen after it stops.
pub(crate) struct Built {
    unit: Unit,
    /// Where people open its web side, if it has one.
    pub(crate) url: Option<String>,
    /// Blocking clean-up (flush and close storage), run off the async runtime.
    after: Option<Box<dyn FnOnce() + Send>>,
}

/// Where a web unit listens unless told otherwise: consecutive ports from `first_port`
/// (0: a free port each).
pub(crate) fn web_addr(name: UnitName, host: &str, first_port: u16) -> Option<String> {
    let offset = match name {
        UnitName::Identify => 0,
        UnitName::Dummy => 1,
        UnitName::Viewer => 2,
        UnitName::Monitor => 3,
        UnitName::Echo | UnitName::State | UnitName::Hub => return None,
    };
    let port = if first_port == 0 {
        0
    } else {
        first_port.saturating_add(offset)
    };
    Some(format!("{host}:{port}"))
}

/// Builds unit `name` from the shared settings; a web unit listens on `http_addr`, or on
/// `--http-addr`, or on its default port. `public_url` applies to a single-unit run only.
pub(crate) async fn build(
    name: UnitName,
    args: &UnitArgs,
    http_addr: Option<String>,
    public_url: Option<String>,
) -> anyhow::Result<Built> {
    let http_addr = http_addr
        .or_else(|| args.http_addr.clone())
        .or_else(|| web_addr(name, "127.0.0.1", 8080));
    let listen = || async {
        let addr = http_addr.clone().unwrap_or_default();
        let listener = modt_web::serve::bind(&addr).await.with_context(|| {
            format!("the {} unit's web side cannot listen (--http-addr / MODT_HTTP_ADDR, or --web-port for `modt up`)", name_of(name))
        })?;
        let url = modt_web::serve::public_url(&listener, public_url.as_deref());
        anyhow::Ok((listener, url))
    };
    let mut built = match name {
        UnitName::Echo => Built {
            unit: modt_echo::unit(),
            url: None,
            after: None,
        },
        UnitName::Hub => {
            let limits = modt_hub::Limits::default();
            let defaults = match &args.hub_defaults {
                Some(path) => modt_hub::Defaults::load(path, &limits)
                    .context("while loading --hub-defaults / MODT_HUB_DEFAULTS")?,
                None => modt_hub::Defaults::none(),
            };
            let path = args.data_dir.join(modt_hub::DB_FILE);
            let queue = HUB_QUEUE.max(args.max_in_flight.unwrap_or(0).saturating_mul(2));
            let store =
                modt_hub::HubStore::open(&path, queue).context("while starting the hub unit")?;
            let unit = modt_hub::unit(store.clone(), modt_hub::HubConfig { limits, defaults });
            Built {
                unit,
                url: None,
                after: Some(Box::new(move || store.close())),
            }
        }
        UnitName::State => {
            let path = args.data_dir.join(STATE_DB);
            let store = modt_state::SqliteStore::open(&path, modt_state::DEFAULT_MAX_IN_FLIGHT * 2)
                .with_context(|| format!("cannot open the state database {}", path.display()))?;
            let config = modt_state::StateConfig {
                events: args.state_events,
                ..Default::default()
            };
            let unit = modt_state::unit(Arc::new(store.clone()), config);
            Built {
                unit,
                url: None,
                after: Some(Box::new(move || store.close())),
            }
        }
        UnitName::Identify => {
            let path = args.data_dir.join(modt_identify::unit::DB_FILE);
            let store = modt_identify::SqliteIdentityStore::open(&path)?;
            let (listener, url) = listen().await?;
            let a = &args.identify;
            let config = modt_identify::IdentifyConfig {
                public_url: Some(url.clone()),
                cookie_domain: a.cookie_domain.clone(),
                session_idle: a.session_idle,
                session_max_age: a.session_max_age,
                handshake_timeout: a.handshake_timeout,
                throttle: modt_identify::throttle::ThrottleConfig {
                    window: a.login_window,
                    per_user: a.login_max_failures,
                    per_address: a.login_max_failures_per_address,
                    registrations_per_address: a.register_max_per_address,
                },
                registration: a.registration,
                trust_proxy: a.trust_proxy,
            };
            Built {
                unit: modt_identify::unit(Arc::new(store), config, listener)?,
                url: Some(format!("{url}/login")),
                after: None,
            }
        }
        UnitName::Dummy => {
            let (listener, url) = listen().await?;
            let config = modt_dummy::DummyConfig {
                app_name: args.app.app_name.clone(),
                public_url: Some(url.clone()),
                identify_url: args.app.identify_url.clone(),
                viewer_url: args.app.viewer_url.clone(),
                ..Default::default()
            };
            Built {
                unit: modt_dummy::unit(config, listener)?,
                url: Some(format!("{url}/")),
                after: None,
            }
        }
        UnitName::Viewer => {
            let (listener, url) = listen().await?;
            let config = modt_viewer::ViewerConfig {
                public_url: Some(url.clone()),
                identify_url: args.app.identify_url.clone(),
                ..Default::default()
            };
            Built {
                unit: modt_viewer::unit(config, listener)?,
                url: Some(format!("{url}/")),
                after: None,
            }
        }
        UnitName::Monitor => {
            if args.monitor_buffer == 0 {
                anyhow::bail!("--monitor-buffer / MODT_MONITOR_BUFFER must be at least 1");
            }
            let (listener, url) = listen().await?;
            let config = modt_monitor::MonitorConfig {
                buffer: args.monitor_buffer,
                public_url: Some(url.clone()),
                identify_url: args.app.identify_url.clone(),
                ..Default::default()
            };
            let live = modt_monitor::Live::new(&config);
            Built {
                unit: modt_monitor::unit(config, live, listener)?,
                url: Some(format!("{url}/")),
                after: None,
            }
        }
    };
    if let Some(n) = args.max_in_flight {
        built.unit = built.unit.max_in_flight(n);
    }
    built.unit = built.unit.web_units(web_units(args)?);
    Ok(built)
}

/// `--web-units`, else the accounts the shipped broker policy marks `web` (`modt up` puts its
/// own policy's there first).
fn web_units(args: &UnitArgs) -> anyhow::Result<modt::directory::WebUnits> {
    Ok(match &args.web_units {
        Some(ids) => modt::directory::WebUnits::only(ids.iter().map(|s| s.trim())),
        None => {
            let policy = modt_broker::BrokerPolicy::builtin()?;
            modt::directory::WebUnits::only(policy.web_accounts())
        }
    })
}

impl Built {
    /// Replaces the unit's id.
    pub(crate) fn unit_id(mut self, id: String) -> Self {
        self.unit = self.unit.unit_id(id);
        self
    }

    /// Runs the unit until `stop`, then its clean-up.
    pub(crate) async fn run(
        self,
        config: ClientConfig,
        stop: CancellationToken,
    ) -> Result<(), modt::Error> {
        let result = self.unit.run(config, stop).await;
        if let Some(after) = self.after {
            let _ = tokio::task::spawn_blocking(after).await;
        }
        result
    }
}

/// The unit's name as typed on the command line.
pub(crate) fn name_of(name: UnitName) -> &'static str {
    match name {
        UnitName::Echo => modt_echo::NAME,
        UnitName::State => modt_state::NAME,
        UnitName::Identify => modt_identify::NAME,
        UnitName::Dummy => modt_dummy::NAME,
        UnitName::Viewer => modt_viewer::NAME,
        UnitName::Hub => modt_hub::NAME,
        UnitName::Monitor => modt_monitor::NAME,
    }
}

/// What the unit serves, for `modt up`'s banner.
pub(crate) fn serves(name: UnitName) -> &'static str {
    match name {
        UnitName::Echo => "modt/echo",
        UnitName::State => "modt/state/#",
        UnitName::Identify => "modt/session/query, modt/app/ready",
        UnitName::Dummy => "modt/auth/success",
        UnitName::Viewer => "web only",
        UnitName::Hub => "modt/+/GET, modt/+/POST, modt/+/PUT",
        UnitName::Monitor => "# (watches)",
    }
}
