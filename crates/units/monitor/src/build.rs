//! Building the monitor for a program: its settings checked, its page listening where the
//! program says.

use modt::unit::{BuildError, Setup};
use modt::Unit;

use crate::{unit, Args, Live, MonitorConfig, NAME};

/// The monitor's default web port.
pub const DEFAULT_PORT: u16 = 8083;

/// Builds the monitor.
pub async fn build(args: Args, setup: &Setup) -> Result<Unit, BuildError> {
    if args.buffer == 0 {
        return Err(BuildError::setting(
            "--monitor-buffer / MODT_MONITOR_BUFFER",
            "must be at least 1",
        ));
    }
    let (listener, url) = modt_web::serve::listen(NAME, &setup.web, DEFAULT_PORT).await?;
    let config = MonitorConfig {
        buffer: args.buffer,
        public_url: Some(url),
        identify_url: setup.web.identify_url.clone(),
        ..Default::default()
    };
    let live = Live::new(&config);
    let unit = unit(config, live, listener).map_err(|e| BuildError::other(NAME, e))?;
    Ok(setup.apply(unit))
}
