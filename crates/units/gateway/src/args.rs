//! The gateway's flags ([`Args`]), each with its `MODT_GATEWAY_…` variable.

use std::path::PathBuf;
use std::time::Duration;

use modt::protocol::token::{DEFAULT_AUDIENCE, DEFAULT_ISSUER};

/// What `modt unit gateway` says it is.
pub const ABOUT: &str =
    "The API gateway: HTTP routes to units' topics, with auth, rate limits and OpenAPI.";

/// The gateway's flags.
#[derive(Debug, Clone, clap::Args)]
#[group(skip)]
#[command(next_help_heading = "Gateway unit")]
pub struct Args {
    /// The route table (TOML, docs/gateway.md); default: the built-in routes of the shipped
    /// units (config/gateway-routes.toml).
    #[arg(long = "gateway-routes", env = "MODT_GATEWAY_ROUTES")]
    pub routes: Option<PathBuf>,
    /// How long to wait for a unit's reply on routes that set no `timeout` (then 504).
    #[arg(long = "gateway-timeout", env = "MODT_GATEWAY_TIMEOUT", default_value = "5s", value_parser = humantime::parse_duration)]
    pub timeout: Duration,
    /// The `iss` access tokens must carry.
    #[arg(long = "gateway-issuer", env = "MODT_GATEWAY_ISSUER", default_value = DEFAULT_ISSUER)]
    pub issuer: String,
    /// The `aud` access tokens must carry.
    #[arg(long = "gateway-audience", env = "MODT_GATEWAY_AUDIENCE", default_value = DEFAULT_AUDIENCE)]
    pub audience: String,
    /// Web origins (`https://app.example`) allowed to call with credentials (CORS) and to send
    /// cookie-authenticated writes, besides the trusted web units' own; comma-separated.
    #[arg(
        long = "gateway-allowed-origins",
        env = "MODT_GATEWAY_ALLOWED_ORIGINS",
        value_delimiter = ','
    )]
    pub allowed_origins: Vec<String>,
    /// Answer `GET /metrics` (the process's Prometheus series) on the gateway's public
    /// listener; `false` leaves them to `--metrics-addr` and the other web sides.
    #[arg(
        long = "gateway-metrics-public",
        value_name = "BOOL",
        env = "MODT_GATEWAY_METRICS_PUBLIC",
        default_value_t = true,
        action = clap::ArgAction::Set
    )]
    pub metrics_public: bool,
}

impl Default for Args {
    fn default() -> Self {
        Args {
            routes: None,
            timeout: crate::routes::DEFAULT_TIMEOUT,
            issuer: DEFAULT_ISSUER.to_owned(),
            audience: DEFAULT_AUDIENCE.to_owned(),
            allowed_origins: Vec::new(),
            metrics_public: true,
        }
    }
}
