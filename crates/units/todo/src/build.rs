//! Building the todo unit for a program: its store opened where `--todo-database-url` /
//! `--database-url` say (default: `modt_todo.db` in the data directory), its page listening
//! where the program says, the store closed after the unit stops.

use modt::unit::{BuildError, Setup, DEFAULT_MAX_CONCURRENT_HANDLERS};
use modt::Unit;
use modt_store::UnitData;

use crate::store::{self, SCHEMA, SQLITE_FILE};
use crate::{unit, Args, TodoConfig, NAME};

/// The todo unit's default web port.
pub const DEFAULT_PORT: u16 = 8085;

/// What the todo unit tells `modt_store::locate` about its data.
pub const DATA: UnitData<'static> = UnitData {
    unit: NAME,
    setting: "--todo-database-url / MODT_TODO_DATABASE_URL",
    sqlite_file: SQLITE_FILE,
    schema: SCHEMA,
};

/// The flag and variable of the gateway's URL, as errors name them.
pub const GATEWAY_URL_SETTING: &str = "--todo-gateway-url / MODT_TODO_GATEWAY_URL";

/// Builds the todo unit: opens its store, binds its page, and closes the store once the
/// unit has stopped.
pub async fn build(args: Args, setup: &Setup) -> Result<Unit, BuildError> {
    if let Some(url) = &args.gateway_url {
        if modt::directory::web_origin(url).is_none() {
            return Err(BuildError::setting(
                GATEWAY_URL_SETTING,
                "must be an http:// or https:// URL",
            ));
        }
    }
    let in_flight = setup.max_in_flight_or(DEFAULT_MAX_CONCURRENT_HANDLERS);
    let location = modt_store::locate(args.database_url.as_ref(), setup, DATA)?;
    let opened = store::open(&location, write_queue(in_flight))
        .await
        .map_err(|e| BuildError::storage(NAME, e))?;
    tracing::info!(unit = NAME, data = %location, "todo store open");
    let (listener, url) = modt_web::serve::listen(NAME, &setup.web, DEFAULT_PORT).await?;
    let config = TodoConfig {
        public_url: Some(url),
        identify_url: setup.web.identify_url.clone(),
        gateway_url: args.gateway_url,
        ..TodoConfig::default()
    };
    let closing = opened.clone();
    let unit = unit(opened, config, Some(listener))
        .map_err(|e| BuildError::other(NAME, e))?
        .on_stop(move || closing.close());
    Ok(setup.apply(unit))
}

/// Writes waiting for the SQLite writer: one per handler in flight, so a write is never
/// refused while the unit is within its in-flight limit.
pub fn write_queue(in_flight: usize) -> usize {
    in_flight.max(1)
}
