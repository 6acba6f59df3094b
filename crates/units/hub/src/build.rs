//! Building the hub unit for a program: its defaults file loaded, its store opened where
//! `--hub-database-url` / `--database-url` say (default: `modt_hub.db` in the data directory) with a queue sized from the unit's in-flight limit, the store closed after
//! the unit stops.

use modt::unit::{BuildError, Setup, DEFAULT_MAX_CONCURRENT_HANDLERS};
use modt::Unit;
use modt_store::UnitData;

use crate::{unit, Args, Defaults, HubConfig, Limits, DB_FILE, NAME};

/// What the hub tells `modt_store::locate` about its data.
pub const DATA: UnitData<'static> = UnitData {
    unit: NAME,
    setting: "--hub-database-url / MODT_HUB_DATABASE_URL",
    sqlite_file: DB_FILE,
    schema: crate::store::SCHEMA,
};

/// Jobs the store thread queues at least (more when the in-flight limit is higher).
pub const MIN_STORE_QUEUE: usize = 1024;

/// Builds the hub unit: loads `--hub-defaults`, opens the store, and closes it once the unit
/// has stopped.
pub async fn build(args: Args, setup: &Setup) -> Result<Unit, BuildError> {
    let limits = Limits::default();
    let defaults = match &args.defaults {
        Some(path) => Defaults::load(path, &limits).map_err(|e| {
            BuildError::setting("--hub-defaults / MODT_HUB_DEFAULTS", e.to_string())
        })?,
        None => Defaults::none(),
    };
    let in_flight = setup.max_in_flight_or(DEFAULT_MAX_CONCURRENT_HANDLERS);
    let location = modt_store::locate(args.database_url.as_ref(), setup, DATA)?;
    let store = crate::store::open(&location, store_queue(in_flight))
        .await
        .map_err(|e| BuildError::storage(NAME, e))?;
    tracing::info!(unit = NAME, data = %location, "hub store open");
    let closing = store.clone();
    let unit = unit(store, HubConfig { limits, defaults }).on_stop(move || closing.close());
    Ok(setup.apply(unit))
}

/// The store thread's queue: room for two jobs per request in flight, at least
/// [`MIN_STORE_QUEUE`].
pub fn store_queue(in_flight: usize) -> usize {
    MIN_STORE_QUEUE.max(in_flight.saturating_mul(2))
}
