//! What a program hands every unit it builds ([`Setup`]: data directory, database, concurrency,
//! where web sides listen, whose web addresses to trust), and the error a unit's `build`
//! returns ([`BuildError`]).
//!
//! Each unit crate owns its own flags and defaults and exports
//! `async fn build(args: Args, setup: &Setup) -> Result<Unit, BuildError>`; the program
//! (`modt up`, `modt unit NAME`, or a user's own `main`) fills one `Setup` for all of them.
//! See `docs/writing-a-unit.md`.

use std::path::PathBuf;

use super::Unit;
use crate::directory::WebUnits;

/// The port the first web unit listens on by default; every web unit's default port is an
/// offset from it, so `modt up --web-port P` moves them all together.
pub const BASE_WEB_PORT: u16 = 8080;

/// Settings every unit of a program shares.
///
/// ```
/// use modt::unit::Setup;
/// let setup = Setup::new("./modt-data");
/// assert_eq!(setup.max_in_flight_or(64), 64);
/// assert_eq!(setup.web.listen_addr(8082), "127.0.0.1:8082");
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Setup {
    /// Where units keep their files (SQLite databases, generated credentials).
    pub data_dir: PathBuf,
    /// The database every unit with storage uses unless it has its own (`--database-url`,
    /// `MODT_DATABASE_URL`); `None`: a SQLite file per unit in [`Setup::data_dir`].
    pub database_url: Option<String>,
    /// Messages a unit handles at once, when given (`--max-in-flight`); else each unit's own.
    pub max_in_flight: Option<usize>,
    /// Where web sides listen and how they are reached.
    pub web: WebSetup,
    /// Whose announced web addresses units link and redirect to.
    pub web_units: WebUnits,
    /// Where the program serves the process's Prometheus metrics alone (`--metrics-addr`,
    /// `MODT_METRICS_ADDR`), for units without a web side; `None`: only at the `/metrics` of
    /// web sides. The SDK only carries it: the program opens the listener (modt-web's
    /// `metrics::serve_listener`).
    pub metrics_addr: Option<String>,
}

impl Setup {
    /// Defaults: data in `data_dir`, SQLite, each unit's own concurrency, web sides on their
    /// default ports on 127.0.0.1, every unit's web address trusted.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Setup {
            data_dir: data_dir.into(),
            database_url: None,
            max_in_flight: None,
            web: WebSetup::default(),
            web_units: WebUnits::Any,
            metrics_addr: None,
        }
    }

    /// Applies what every unit takes from the setup as it is: `--max-in-flight` when given
    /// (else the unit keeps its own default) and whose web addresses to trust.
    pub fn apply(&self, unit: Unit) -> Unit {
        let unit = unit.web_units(self.web_units.clone());
        match self.max_in_flight {
            Some(n) => unit.max_in_flight(n),
            None => unit,
        }
    }

    /// The messages a unit handles at once: `--max-in-flight` if given, else `unit_default`.
    /// Units size their queues from this, so a higher limit never outgrows them.
    pub fn max_in_flight_or(&self, unit_default: usize) -> usize {
        self.max_in_flight.unwrap_or(unit_default).max(1)
    }
}

/// Where web sides listen and how browsers and other units reach them.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct WebSetup {
    /// Listen exactly here (`--http-addr`, for one unit run alone).
    pub http_addr: Option<String>,
    /// Host web sides listen on otherwise.
    pub host: String,
    /// The port that replaces [`BASE_WEB_PORT`] (`modt up --web-port`); every unit keeps its
    /// offset from it. `Some(0)`: a free port for each.
    pub first_port: Option<u16>,
    /// The public URL of a unit's web side, as browsers reach it (one unit run alone).
    pub public_url: Option<String>,
    /// The identify unit's URL for login links (default: found through presence).
    pub identify_url: Option<String>,
}

impl Default for WebSetup {
    fn default() -> Self {
        WebSetup {
            http_addr: None,
            host: "127.0.0.1".to_owned(),
            first_port: None,
            public_url: None,
            identify_url: None,
        }
    }
}

impl WebSetup {
    /// The address a web unit whose default port is `default_port` listens on.
    pub fn listen_addr(&self, default_port: u16) -> String {
        if let Some(addr) = &self.http_addr {
            return addr.clone();
        }
        let port = match self.first_port {
            None => default_port,
            Some(0) => 0,
            Some(first) => first.saturating_add(default_port.saturating_sub(BASE_WEB_PORT)),
        };
        format!("{}:{port}", self.host)
    }
}

/// Why a unit could not be built. Each names the setting or resource at fault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// A setting is malformed or out of range.
    #[error("{setting}: {reason}")]
    Setting {
        /// The flag and environment variable, e.g. `--monitor-buffer / MODT_MONITOR_BUFFER`.
        setting: String,
        /// What is wrong and what is allowed.
        reason: String,
    },
    /// The web side cannot listen.
    #[error("the {unit} unit's web side cannot listen on {addr} (--http-addr / MODT_HTTP_ADDR, or --web-port for `modt up`)")]
    Listen {
        /// The unit.
        unit: String,
        /// The address it tried.
        addr: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The unit's storage cannot be opened.
    #[error("the {unit} unit cannot open its storage")]
    Storage {
        /// The unit.
        unit: String,
        /// Why.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// Anything else, with its cause.
    #[error("the {unit} unit cannot start")]
    Other {
        /// The unit.
        unit: String,
        /// Why.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl BuildError {
    /// A bad setting: `setting` names the flag and variable.
    pub fn setting(setting: impl Into<String>, reason: impl Into<String>) -> Self {
        BuildError::Setting {
            setting: setting.into(),
            reason: reason.into(),
        }
    }

    /// Storage that cannot be opened.
    pub fn storage(
        unit: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        BuildError::Storage {
            unit: unit.into(),
            source: source.into(),
        }
    }

    /// Any other failure.
    pub fn other(
        unit: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        BuildError::Other {
            unit: unit.into(),
            source: source.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn web_ports_move_together() {
        let mut web = WebSetup::default();
        assert_eq!(web.listen_addr(8083), "127.0.0.1:8083");
        web.first_port = Some(9000);
        assert_eq!(web.listen_addr(8080), "127.0.0.1:9000");
        assert_eq!(web.listen_addr(8083), "127.0.0.1:9003");
        web.first_port = Some(0);
        assert_eq!(web.listen_addr(8083), "127.0.0.1:0");
        web.http_addr = Some("0.0.0.0:80".into());
        assert_eq!(web.listen_addr(8083), "0.0.0.0:80");
    }

    #[test]
    fn in_flight_is_at_least_one() {
        let mut setup = Setup::new("d");
        assert_eq!(setup.max_in_flight_or(4096), 4096);
        setup.max_in_flight = Some(0);
        assert_eq!(setup.max_in_flight_or(4096), 1);
    }
}
