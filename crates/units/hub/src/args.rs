//! The hub unit's flags and environment variables.

use std::path::PathBuf;

/// What `modt unit hub` says it is.
pub const ABOUT: &str =
    "The registry (`modt/{unit}/GET|POST|PUT`): live values in SQLite over static defaults.";

/// Flags of the hub unit (`modt unit hub`, and `modt up`).
#[derive(Debug, Clone, Default, clap::Args)]
// Every unit's `Args` is flattened into `modt up`: no clap group named after the struct.
#[group(skip)]
#[command(next_help_heading = "Hub unit")]
pub struct Args {
    /// Static defaults, a flat map of key → value in a `.yaml`/`.yml` or `.json` file
    /// (answered with status 203 when a key has no live value).
    #[arg(long = "hub-defaults", env = "MODT_HUB_DEFAULTS")]
    pub defaults: Option<PathBuf>,
    /// Where this unit keeps its data, overriding --database-url: `sqlite://FILE` or
    /// `postgres://…` (its schema there is `modt_hub`). Default: as --database-url, else
    /// its file in --data-dir.
    #[arg(
        id = "hub_database_url",
        long = "hub-database-url",
        env = "MODT_HUB_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub database_url: Option<modt_store::DatabaseUrl>,
}
