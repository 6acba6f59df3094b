//! Building the hub unit for a program: its defaults file loaded, its store opened in the
//! data directory with a queue sized from the unit's in-flight limit, the store closed after
//! the unit stops.

use std::path::PathBuf;
use std::sync::Arc;

use modt::unit::{BuildError, Setup, DEFAULT_MAX_CONCURRENT_HANDLERS};
use modt::Unit;

use crate::{unit, Args, Defaults, HubConfig, HubStore, Limits, DB_FILE, NAME};

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
    let store = open(setup.data_dir.join(DB_FILE), store_queue(in_flight)).await?;
    let closing = store.clone();
    let unit = unit(store, HubConfig { limits, defaults }).on_stop(move || closing.close());
    Ok(setup.apply(unit))
}

/// The store thread's queue: room for two jobs per request in flight, at least
/// [`MIN_STORE_QUEUE`].
pub fn store_queue(in_flight: usize) -> usize {
    MIN_STORE_QUEUE.max(in_flight.saturating_mul(2))
}

/// Opens the SQLite store (off the async runtime).
async fn open(path: PathBuf, queue: usize) -> Result<Arc<dyn HubStore>, BuildError> {
    crate::store::open(&modt_store::Location::sqlite(path), queue)
        .await
        .map_err(|e| BuildError::storage(NAME, e))
}
