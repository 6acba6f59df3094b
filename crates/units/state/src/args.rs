//! The state unit's flags and environment variables, with the defaults of [`StateConfig`].

use crate::StateConfig;

/// What `modt unit state` says it is.
pub const ABOUT: &str =
    "The per-user key-value store (`modt/state/*`), SQLite in the data directory.";

/// Flags of the state unit (`modt unit state`, and `modt up`).
#[derive(Debug, Clone, clap::Args)]
// Every unit's `Args` is flattened into `modt up`: no clap group named after the struct.
#[group(skip)]
#[command(next_help_heading = "State unit")]
pub struct Args {
    /// Publish change events on `modt/state/changed/{user_id}`.
    #[arg(
        long = "state-events",
        value_name = "BOOL",
        env = "MODT_STATE_EVENTS",
        default_value_t = StateConfig::default().events,
        action = clap::ArgAction::Set
    )]
    pub events: bool,
    /// Where this unit keeps its data, overriding --database-url: `sqlite://FILE` or
    /// `postgres://…` (its schema there is `modt_state`). Default: as --database-url, else
    /// its file in --data-dir.
    #[arg(
        id = "state_database_url",
        long = "state-database-url",
        env = "MODT_STATE_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub database_url: Option<modt_store::DatabaseUrl>,
}

impl Default for Args {
    fn default() -> Self {
        Args {
            events: StateConfig::default().events,
            database_url: None,
        }
    }
}
