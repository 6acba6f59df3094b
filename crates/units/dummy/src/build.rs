//! Building the sample app for a program: its page listening where the program says.

use modt::unit::{BuildError, Setup};
use modt::Unit;

use crate::{unit, Args, DummyConfig, NAME};

/// The sample app's default web port.
pub const DEFAULT_PORT: u16 = 8081;

/// Builds the sample app.
pub async fn build(args: Args, setup: &Setup) -> Result<Unit, BuildError> {
    let (listener, url) = modt_web::serve::listen(NAME, &setup.web, DEFAULT_PORT).await?;
    let config = DummyConfig {
        app_name: args.app_name,
        public_url: Some(url),
        identify_url: setup.web.identify_url.clone(),
        viewer_url: args.viewer_url,
        ..Default::default()
    };
    let unit = unit(config, listener).map_err(|e| BuildError::other(NAME, e))?;
    Ok(setup.apply(unit))
}
