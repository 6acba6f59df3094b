//! The ingest unit's flags and environment variables.

use std::path::PathBuf;
use std::time::Duration;

/// What `modt unit ingest` says it is.
pub const ABOUT: &str =
    "IoT ingest: connections to external brokers, topic discovery, validated parsers, a live devices page.";

/// How often the reconciler compares the configuration with the running connections when
/// nothing changed (a change is applied at once).
pub const DEFAULT_SWEEP: Duration = Duration::from_secs(30);

/// Flags of the ingest unit (`modt unit ingest`, and `modt up`).
#[derive(Debug, Clone, clap::Args)]
// Every unit's `Args` is flattened into `modt up`: no clap group named after the struct.
#[group(skip)]
#[command(next_help_heading = "Ingest unit")]
pub struct Args {
    /// Where this unit keeps its data, overriding --database-url: `sqlite://FILE` or
    /// `postgres://…` (its schema there is `modt_ingest`). Default: as --database-url, else
    /// `modt_ingest.db` in --data-dir.
    #[arg(
        id = "ingest_database_url",
        long = "ingest-database-url",
        env = "MODT_INGEST_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub database_url: Option<modt_store::DatabaseUrl>,
    /// How often the reconciler sweeps (connects what is missing, stops what was disabled)
    /// when no change triggers it, e.g. `30s`.
    #[arg(
        id = "ingest_sweep",
        long = "ingest-sweep",
        env = "MODT_INGEST_SWEEP",
        value_name = "DURATION",
        default_value = "30s",
        value_parser = humantime::parse_duration
    )]
    pub sweep: Duration,
    /// A directory of parser declarations (`*.toml` with their JSON Schemas) used instead of
    /// the built-in ones (config/ingest/parsers).
    #[arg(
        id = "ingest_parsers",
        long = "ingest-parsers",
        env = "MODT_INGEST_PARSERS",
        value_name = "DIR"
    )]
    pub parsers: Option<PathBuf>,
    /// The API gateway's URL as browsers reach it, which the devices page calls (default: the
    /// gateway unit's announced web address, found through presence).
    #[arg(
        id = "ingest_gateway_url",
        long = "ingest-gateway-url",
        env = "MODT_INGEST_GATEWAY_URL",
        value_name = "URL"
    )]
    pub gateway_url: Option<String>,
    /// Make a demo connection to this broker (`HOST:PORT`) on the first start with no
    /// connections, subscribed to `+/gateway/#` with QoS 1, logging in with this unit's own
    /// broker account when `DATA_DIR/credentials/ingest.password` exists. `modt up` sets it
    /// to its embedded broker. Deleting the demo connection removes it for good.
    #[arg(
        id = "ingest_demo_broker",
        long = "ingest-demo-broker",
        env = "MODT_INGEST_DEMO_BROKER",
        value_name = "HOST:PORT"
    )]
    pub demo_broker: Option<String>,
    /// The most discovered topics to record (all connections together). A new topic beyond
    /// it is not recorded; its messages are still parsed, stored or dead-lettered, and
    /// counted (`modt_ingest_topics_over_limit_total`, the devices page).
    #[arg(
        id = "ingest_max_topics",
        long = "ingest-max-topics",
        env = "MODT_INGEST_MAX_TOPICS",
        value_name = "N",
        default_value_t = crate::store::MAX_TOPICS
    )]
    pub max_topics: u64,
    /// The most devices (gateways, dataloggers and sensors together) in the device model. A
    /// new device beyond it is not added (its readings are not stored); counted
    /// (`modt_ingest_devices_over_limit_total`, the devices page).
    #[arg(
        id = "ingest_max_devices",
        long = "ingest-max-devices",
        env = "MODT_INGEST_MAX_DEVICES",
        value_name = "N",
        default_value_t = crate::store::MAX_DEVICES
    )]
    pub max_devices: u64,
}

impl Default for Args {
    fn default() -> Self {
        Args {
            database_url: None,
            sweep: DEFAULT_SWEEP,
            parsers: None,
            gateway_url: None,
            demo_broker: None,
            max_topics: crate::store::MAX_TOPICS,
            max_devices: crate::store::MAX_DEVICES,
        }
    }
}
