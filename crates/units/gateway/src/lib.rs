//! The API gateway unit (work in progress): HTTP routes to units' MQTT topics.

use modt::unit::{BuildError, Setup};
use modt::Unit;

/// The unit's name and default id.
pub const NAME: &str = "gateway";

/// What `modt unit gateway` says it is.
pub const ABOUT: &str =
    "The API gateway: HTTP routes to units' topics, with auth, rate limits and OpenAPI.";

/// The gateway's flags.
#[derive(Debug, Clone, Default, clap::Args)]
#[group(skip)]
pub struct Args {}

/// Builds the gateway.
pub async fn build(_args: Args, setup: &Setup) -> Result<Unit, BuildError> {
    Ok(setup.apply(Unit::new(NAME, "API gateway", env!("CARGO_PKG_VERSION"))))
}
