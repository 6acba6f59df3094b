//! The todo unit (work in progress): a TODO service that owns its database.

use modt::unit::{BuildError, Setup};
use modt::Unit;

/// The unit's name and default id.
pub const NAME: &str = "todo";

/// What `modt unit todo` says it is.
pub const ABOUT: &str = "The todo service: owns its database, reached through the gateway.";

/// The todo unit's flags.
#[derive(Debug, Clone, Default, clap::Args)]
#[group(skip)]
pub struct Args {}

/// Builds the todo unit.
pub async fn build(_args: Args, setup: &Setup) -> Result<Unit, BuildError> {
    Ok(setup.apply(Unit::new(NAME, "todo", env!("CARGO_PKG_VERSION"))))
}
