//! The units this binary runs, by name: one place shared by `modt up` and `modt unit`.

use std::sync::Arc;

use anyhow::Context as _;
use modt::{ClientConfig, Unit};
use tokio_util::sync::CancellationToken;

use crate::cli::{UnitArgs, UnitName};

/// Every unit `modt up` starts, in start order.
pub(crate) const ALL: &[UnitName] = &[UnitName::State, UnitName::Hub, UnitName::Echo];

/// The state unit's database file in the data directory; the original db-unit's file name,
/// so its data directory can be used as it is.
pub(crate) const STATE_DB: &str = "modt_state.db";

/// Jobs the hub's store thread queues at least (more when `--max-in-flight` is higher).
const HUB_QUEUE: usize = 1024;

/// A unit ready to run, with what must happen after it stops.
pub(crate) struct Built {
    unit: Unit,
    /// Blocking clean-up (flush and close storage), run off the async runtime.
    after: Option<Box<dyn FnOnce() + Send>>,
}

/// Builds unit `name` from the shared settings.
pub(crate) fn build(name: UnitName, args: &UnitArgs) -> anyhow::Result<Built> {
    let mut built = match name {
        UnitName::Echo => Built {
            unit: modt_echo::unit(),
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
                after: Some(Box::new(move || store.close())),
            }
        }
    };
    if let Some(n) = args.max_in_flight {
        built.unit = built.unit.max_in_flight(n);
    }
    Ok(built)
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
        UnitName::Hub => modt_hub::NAME,
    }
}

/// What the unit serves, for `modt up`'s banner.
pub(crate) fn serves(name: UnitName) -> &'static str {
    match name {
        UnitName::Echo => "modt/echo",
        UnitName::State => "modt/state/#",
        UnitName::Hub => "modt/+/GET, modt/+/POST, modt/+/PUT",
    }
}
