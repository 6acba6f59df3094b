//! `modt unit NAME`: one unit against a broker, until SIGTERM or Ctrl-C.

use anyhow::Context as _;
use tokio_util::sync::CancellationToken;

use crate::cli::UnitCmd;
use crate::units;

pub(crate) async fn run(cmd: UnitCmd, shutdown: CancellationToken) -> anyhow::Result<()> {
    super::private_data_dir(&cmd.unit.data_dir)?;
    let mut unit = units::build(cmd.name, &cmd.unit, None, cmd.unit.public_url.clone()).await?;
    if let Some(url) = &unit.url {
        println!("{} unit: open {url}", units::name_of(cmd.name));
    }
    if let Some(id) = cmd.unit_id {
        unit = unit.unit_id(id);
    }
    // Without credentials, the unit's own account from the data directory, if `modt up` or
    // `modt broker config` made one there.
    let broker = crate::credentials::local_account(
        &cmd.unit.broker,
        &cmd.unit.data_dir,
        units::name_of(cmd.name),
    );
    let config = broker.client_config("unused")?;
    // (Already on a runtime worker, see `main`: the receive loop hands messages to handler
    // tasks on the same pool, without a cross-thread wake-up for each.)
    unit.run(config, shutdown)
        .await
        .with_context(|| format!("while running the {} unit", units::name_of(cmd.name)))
}
