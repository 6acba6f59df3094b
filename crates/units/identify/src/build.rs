//! Building the identify unit for a program: its store opened where
//! `--identify-database-url` / `--database-url` say (default: `modt_identify.db` in the data
//! directory), its pages listening where the program says.

use modt::unit::{BuildError, Setup};
use modt::Unit;

use crate::unit::{unit, DB_FILE, NAME};
use crate::Args;
use modt_store::UnitData;

/// What the identify unit tells `modt_store::locate` about its data.
pub const DATA: UnitData<'static> = UnitData {
    unit: NAME,
    setting: "--identify-database-url / MODT_IDENTIFY_DATABASE_URL",
    sqlite_file: DB_FILE,
    schema: crate::store::SCHEMA,
};

/// The identify unit's default web port (the first of `modt up`'s).
pub const DEFAULT_PORT: u16 = 8080;

/// The page people start at, under the unit's web address.
pub const START_PAGE: &str = "/login";

/// Builds the identify unit: opens its store and binds its pages.
pub async fn build(args: Args, setup: &Setup) -> Result<Unit, BuildError> {
    let location = modt_store::locate(args.database_url.as_ref(), setup, DATA)?;
    let store = crate::store::open(&location)
        .await
        .map_err(|e| BuildError::storage(NAME, e))?;
    tracing::info!(unit = NAME, data = %location, "identify store open");
    let closing = store.clone();
    let (listener, url) = modt_web::serve::listen(NAME, &setup.web, DEFAULT_PORT).await?;
    let unit = unit(store, args.config(url), listener)
        .map_err(|e| BuildError::other(NAME, e))?
        .on_stop(move || closing.close());
    Ok(setup.apply(unit))
}
