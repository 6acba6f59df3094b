//! Building the identify unit for a program: its store opened in the data directory, its
//! pages listening where the program says.

use std::path::PathBuf;
use std::sync::Arc;

use modt::unit::{BuildError, Setup};
use modt::Unit;

use crate::unit::{unit, DB_FILE, NAME};
use crate::{Args, SqliteIdentityStore};

/// The identify unit's default web port (the first of `modt up`'s).
pub const DEFAULT_PORT: u16 = 8080;

/// The page people start at, under the unit's web address.
pub const START_PAGE: &str = "/login";

/// Builds the identify unit: opens its store and binds its pages.
pub async fn build(args: Args, setup: &Setup) -> Result<Unit, BuildError> {
    let store = open(setup.data_dir.join(DB_FILE)).await?;
    let (listener, url) = modt_web::serve::listen(NAME, &setup.web, DEFAULT_PORT).await?;
    let unit = unit(Arc::new(store), args.config(url), listener)
        .map_err(|e| BuildError::other(NAME, e))?;
    Ok(setup.apply(unit))
}

/// Opens the SQLite store off the async runtime.
async fn open(path: PathBuf) -> Result<SqliteIdentityStore, BuildError> {
    tokio::task::spawn_blocking(move || SqliteIdentityStore::open(&path))
        .await
        .map_err(|e| BuildError::other(NAME, e))?
        .map_err(|e| BuildError::storage(NAME, e))
}
