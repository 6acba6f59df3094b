//! Building the state unit for a program: its store opened where `--state-database-url` /
//! `--database-url` say (default: `modt_state.db` in the data directory), queues sized from
//! the unit's real in-flight limit, the store closed after the unit stops.

use modt::unit::{BuildError, Setup};
use modt::Unit;
use modt_store::UnitData;

use crate::store::{self, SCHEMA, SQLITE_FILE};
use crate::{unit, Args, StateConfig, DEFAULT_MAX_CONCURRENT_REQUESTS, NAME};

/// The state unit's database file in the data directory: the original db-unit's file name,
/// so its data directory can be used as it is.
pub const DB_FILE: &str = SQLITE_FILE;

/// What the state unit tells `modt_store::locate` about its data.
pub const DATA: UnitData<'static> = UnitData {
    unit: NAME,
    setting: "--state-database-url / MODT_STATE_DATABASE_URL",
    sqlite_file: SQLITE_FILE,
    schema: SCHEMA,
};

/// Builds the state unit: opens its store, wires the handlers, and closes (flushes) the store
/// once the unit has stopped.
pub async fn build(args: Args, setup: &Setup) -> Result<Unit, BuildError> {
    let in_flight = setup.max_in_flight_or(DEFAULT_MAX_CONCURRENT_REQUESTS);
    let location = modt_store::locate(args.database_url.as_ref(), setup, DATA)?;
    let opened = store::open(&location, write_queue(in_flight))
        .await
        .map_err(|e| BuildError::storage(NAME, e))?;
    tracing::info!(unit = NAME, data = %location, "state store open");
    let config = StateConfig {
        events: args.events,
        ..Default::default()
    };
    let unit = unit(opened.store.clone(), config).on_stop(move || opened.close_blocking());
    Ok(setup.apply(unit).max_in_flight(in_flight))
}

/// Writes the store queues: every handler in flight may submit one, and as many again may
/// wait behind a commit, so a write is never refused for want of room while the unit is
/// within its in-flight limit.
pub fn write_queue(in_flight: usize) -> usize {
    in_flight.saturating_mul(2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_write_queue_follows_the_in_flight_limit() {
        assert!(write_queue(DEFAULT_MAX_CONCURRENT_REQUESTS) >= DEFAULT_MAX_CONCURRENT_REQUESTS);
        assert!(write_queue(20_000) >= 20_000);
    }
}
