//! Building the ingest unit for a program: its page listening where the program says.

use modt::unit::{BuildError, Setup};
use modt::Unit;

use crate::{unit, Args, WebConfig, NAME};

/// The ingest unit's default web port.
pub const DEFAULT_PORT: u16 = 8086;

/// The flag and variable of the gateway's URL, as errors name them.
pub const GATEWAY_URL_SETTING: &str = "--ingest-gateway-url / MODT_INGEST_GATEWAY_URL";

/// Builds the ingest unit.
pub async fn build(args: Args, setup: &Setup) -> Result<Unit, BuildError> {
    if let Some(url) = &args.gateway_url {
        if modt::directory::web_origin(url).is_none() {
            return Err(BuildError::setting(
                GATEWAY_URL_SETTING,
                "must be an http:// or https:// URL",
            ));
        }
    }
    let (listener, url) = modt_web::serve::listen(NAME, &setup.web, DEFAULT_PORT).await?;
    let web = WebConfig {
        public_url: Some(url),
        identify_url: setup.web.identify_url.clone(),
        gateway_url: args.gateway_url,
        ..WebConfig::default()
    };
    let unit = unit::unit(web, Some(listener)).map_err(|e| BuildError::other(NAME, e))?;
    Ok(setup.apply(unit))
}
