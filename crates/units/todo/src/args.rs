//! The todo unit's flags and environment variables.

/// What `modt unit todo` says it is.
pub const ABOUT: &str =
    "The todo service: owns its database, reached through the gateway, with a live page.";

/// Flags of the todo unit (`modt unit todo`, and `modt up`).
#[derive(Debug, Clone, Default, clap::Args)]
// Every unit's `Args` is flattened into `modt up`: no clap group named after the struct.
#[group(skip)]
#[command(next_help_heading = "Todo unit")]
pub struct Args {
    /// Where this unit keeps its data, overriding --database-url: `sqlite://FILE` or
    /// `postgres://…` (its schema there is `modt_todo`). Default: as --database-url, else
    /// `modt_todo.db` in --data-dir.
    #[arg(
        id = "todo_database_url",
        long = "todo-database-url",
        env = "MODT_TODO_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub database_url: Option<modt_store::DatabaseUrl>,
    /// The API gateway's URL as browsers reach it, which the todo page calls (default: the
    /// gateway unit's announced web address, found through presence).
    #[arg(
        id = "todo_gateway_url",
        long = "todo-gateway-url",
        env = "MODT_TODO_GATEWAY_URL",
        value_name = "URL"
    )]
    pub gateway_url: Option<String>,
}
