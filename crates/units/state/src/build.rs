//! Building the state unit for a program: its store opened in the data directory, queues
//! sized from the unit's real in-flight limit, the store closed after the unit stops.

use std::path::PathBuf;
use std::sync::Arc;

use modt::unit::{BuildError, Setup};
use modt::Unit;

use crate::{unit, Args, SqliteStore, StateConfig, DEFAULT_MAX_CONCURRENT_REQUESTS, NAME};

/// The state unit's database file in the data directory: the original db-unit's file name,
/// so its data directory can be used as it is.
pub const DB_FILE: &str = "modt_state.db";

/// Builds the state unit: opens its store, wires the handlers, and closes (flushes) the store
/// once the unit has stopped.
pub async fn build(args: Args, setup: &Setup) -> Result<Unit, BuildError> {
    let in_flight = setup.max_in_flight_or(DEFAULT_MAX_CONCURRENT_REQUESTS);
    let path = setup.data_dir.join(DB_FILE);
    let store = open(path, write_queue(in_flight)).await?;
    let config = StateConfig {
        events: args.events,
        ..Default::default()
    };
    let closing = store.clone();
    let unit = unit(Arc::new(store), config).on_stop(move || closing.close());
    Ok(setup.apply(unit).max_in_flight(in_flight))
}

/// Writes the store queues: every handler in flight may submit one, and as many again may
/// wait behind a commit, so a write is never refused for want of room while the unit is
/// within its in-flight limit.
pub fn write_queue(in_flight: usize) -> usize {
    in_flight.saturating_mul(2)
}

/// Opens the SQLite store off the async runtime (it creates and checks the file).
async fn open(path: PathBuf, queue: usize) -> Result<SqliteStore, BuildError> {
    tokio::task::spawn_blocking(move || SqliteStore::open(&path, queue))
        .await
        .map_err(|e| BuildError::other(NAME, e))?
        .map_err(|e| BuildError::storage(NAME, e))
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
