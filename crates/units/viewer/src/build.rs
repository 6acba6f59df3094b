//! Building the viewer for a program: its pages listening where the program says.

use modt::unit::{BuildError, Setup};
use modt::Unit;

use crate::{unit, Args, ViewerConfig, NAME};

/// The viewer's default web port.
pub const DEFAULT_PORT: u16 = 8082;

/// Builds the viewer.
pub async fn build(_args: Args, setup: &Setup) -> Result<Unit, BuildError> {
    let (listener, url) = modt_web::serve::listen(NAME, &setup.web, DEFAULT_PORT).await?;
    let config = ViewerConfig {
        public_url: Some(url),
        identify_url: setup.web.identify_url.clone(),
        ..Default::default()
    };
    let unit = unit(config, listener).map_err(|e| BuildError::other(NAME, e))?;
    Ok(setup.apply(unit))
}
