//! The viewer's flags: it has none of its own (it takes the web settings every web unit
//! shares from the program's [`modt::unit::Setup`]).

/// What `modt unit viewer` says it is.
pub const ABOUT: &str = "The web console for a user's keys in the state unit.";

/// Flags of the viewer (`modt unit viewer`, and `modt up`).
#[derive(Debug, Clone, Default, clap::Args)]
// Every unit's `Args` is flattened into `modt up`: no clap group named after the struct.
#[group(skip)]
pub struct Args {}
