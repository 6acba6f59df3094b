//! The sample app's flags and environment variables, with the defaults of [`DummyConfig`].

use crate::DummyConfig;

/// What `modt unit dummy` says it is.
pub const ABOUT: &str = "The sample app: joins the login handshake and shows who is logged in.";

/// Flags of the sample app (`modt unit dummy`, and `modt up`).
#[derive(Debug, Clone, clap::Args)]
// Every unit's `Args` is flattened into `modt up`: no clap group named after the struct.
#[group(skip)]
#[command(next_help_heading = "Sample app")]
pub struct Args {
    /// The app's name, shown to users and sent in `modt/app/ready`.
    #[arg(long, env = "MODT_APP_NAME", default_value_t = DummyConfig::default().app_name)]
    pub app_name: String,
    /// The viewer's URL (default: found through presence).
    #[arg(long, env = "MODT_VIEWER_URL")]
    pub viewer_url: Option<String>,
}

impl Default for Args {
    fn default() -> Self {
        Args {
            app_name: DummyConfig::default().app_name,
            viewer_url: None,
        }
    }
}
