//! The monitor's flags and environment variables, with the defaults of [`MonitorConfig`].

use crate::MonitorConfig;

/// What `modt unit monitor` says it is.
pub const ABOUT: &str =
    "The live monitor: every message on the bus, masked, in a page for administrators.";

/// Flags of the monitor (`modt unit monitor`, and `modt up`).
#[derive(Debug, Clone, clap::Args)]
// Every unit's `Args` is flattened into `modt up`: no clap group named after the struct.
#[group(skip)]
#[command(next_help_heading = "Monitor unit")]
pub struct Args {
    /// Recent messages kept in memory, so a page opened now shows them (at least 1).
    #[arg(long = "monitor-buffer", env = "MODT_MONITOR_BUFFER", default_value_t = MonitorConfig::default().buffer)]
    pub buffer: usize,
}

impl Default for Args {
    fn default() -> Self {
        Args {
            buffer: MonitorConfig::default().buffer,
        }
    }
}
