//! Building the ingest unit for a program: its store opened where `--ingest-database-url` /
//! `--database-url` say (default: `modt_ingest.db` in the data directory), its password key
//! and parsers loaded, its page listening where the program says, the store closed after the
//! unit stops.

use std::path::Path;

use modt::unit::{BuildError, Setup};
use modt::Unit;
use modt_store::UnitData;

use crate::parse::{declare, Registry};
use crate::secret::SecretKey;
use crate::store::{self, SCHEMA, SQLITE_FILE};
use crate::unit::{Demo, IngestConfig};
use crate::{unit, Args, WebConfig, NAME};

/// The ingest unit's default web port.
pub const DEFAULT_PORT: u16 = 8086;

/// What the ingest unit tells `modt_store::locate` about its data.
pub const DATA: UnitData<'static> = UnitData {
    unit: NAME,
    setting: "--ingest-database-url / MODT_INGEST_DATABASE_URL",
    sqlite_file: SQLITE_FILE,
    schema: SCHEMA,
};

/// The flag and variable of the gateway's URL, as errors name them.
pub const GATEWAY_URL_SETTING: &str = "--ingest-gateway-url / MODT_INGEST_GATEWAY_URL";

/// The flag and variable of the parsers' directory.
pub const PARSERS_SETTING: &str = "--ingest-parsers / MODT_INGEST_PARSERS";

/// The flag and variable of the demo broker.
pub const DEMO_SETTING: &str = "--ingest-demo-broker / MODT_INGEST_DEMO_BROKER";

/// The flag and variable of the sweep.
pub const SWEEP_SETTING: &str = "--ingest-sweep / MODT_INGEST_SWEEP";

/// Writes waiting for the SQLite writer: batches and configuration changes.
pub const WRITE_QUEUE: usize = 64;

/// Builds the ingest unit: opens its store, key and parsers, binds its page, and closes the
/// store once the unit has stopped.
pub async fn build(args: Args, setup: &Setup) -> Result<Unit, BuildError> {
    if let Some(url) = &args.gateway_url {
        if modt::directory::web_origin(url).is_none() {
            return Err(BuildError::setting(
                GATEWAY_URL_SETTING,
                "must be an http:// or https:// URL",
            ));
        }
    }
    if args.sweep.is_zero() {
        return Err(BuildError::setting(
            SWEEP_SETTING,
            "must be longer than zero",
        ));
    }
    let registry = parsers(args.parsers.as_deref())?;
    let demo = args
        .demo_broker
        .as_deref()
        .map(|b| demo(b, &setup.data_dir))
        .transpose()?;
    let data_dir = setup.data_dir.clone();
    let key = tokio::task::spawn_blocking(move || SecretKey::load_or_create(&data_dir))
        .await
        .map_err(|e| BuildError::other(NAME, e))?
        .map_err(|e| BuildError::storage(NAME, e))?;
    let location = modt_store::locate(args.database_url.as_ref(), setup, DATA)?;
    let opened = store::open(&location, WRITE_QUEUE)
        .await
        .map_err(|e| BuildError::storage(NAME, e))?;
    tracing::info!(unit = NAME, data = %location, parsers = registry.patterns().count(), "ingest store open");
    let (listener, url) = modt_web::serve::listen(NAME, &setup.web, DEFAULT_PORT).await?;
    let web = WebConfig {
        public_url: Some(url),
        identify_url: setup.web.identify_url.clone(),
        gateway_url: args.gateway_url,
        ..WebConfig::default()
    };
    let config = IngestConfig {
        store: opened.clone(),
        key: std::sync::Arc::new(key),
        registry,
        sweep: args.sweep,
        demo,
        limits: store::Limits {
            topics: args.max_topics,
            devices: args.max_devices,
        },
    };
    let unit = unit::unit(config, web, Some(listener))
        .map_err(|e| BuildError::other(NAME, e))?
        .on_stop(move || opened.close());
    Ok(setup.apply(unit))
}

fn parsers(dir: Option<&Path>) -> Result<Registry, BuildError> {
    match dir {
        None => declare::builtin().map_err(|e| BuildError::other(NAME, e)),
        Some(dir) => {
            declare::load_dir(dir).map_err(|e| BuildError::setting(PARSERS_SETTING, e.to_string()))
        }
    }
}

/// The demo broker `HOST:PORT`, with this unit's broker account when its password file is there.
fn demo(broker: &str, data_dir: &Path) -> Result<Demo, BuildError> {
    let (host, port) = broker
        .rsplit_once(':')
        .and_then(|(h, p)| Some((h.to_owned(), p.parse::<u16>().ok().filter(|p| *p != 0)?)))
        .filter(|(h, _)| !h.is_empty())
        .ok_or_else(|| BuildError::setting(DEMO_SETTING, "must be HOST:PORT"))?;
    let password = std::fs::read_to_string(
        data_dir
            .join("credentials")
            .join(format!("{NAME}.password")),
    )
    .ok()
    .and_then(|t| t.lines().next().map(|l| l.trim().to_owned()))
    .filter(|p| !p.is_empty());
    Ok(Demo {
        host,
        port,
        username: password.as_ref().map(|_| NAME.to_owned()),
        password,
    })
}
