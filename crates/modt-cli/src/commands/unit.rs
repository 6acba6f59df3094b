//! `modt unit NAME`: one unit against a broker, until SIGTERM or Ctrl-C.

use anyhow::Context as _;
use tokio_util::sync::CancellationToken;

use crate::cli::UnitCmd;
use crate::units;

pub(crate) async fn run(cmd: UnitCmd, shutdown: CancellationToken) -> anyhow::Result<()> {
    super::private_data_dir(&cmd.unit.data_dir)?;
    let name = cmd.which.name();
    let mut setup = cmd.unit.setup()?;
    setup.web.http_addr = cmd.http_addr.clone();
    setup.web.public_url = cmd.public_url.clone();
    let mut unit = cmd.which.build(&setup).await?;
    // Before the unit runs: its series are made when it starts.
    let metrics = crate::metrics::start(&setup, unit.web_address().is_some()).await?;
    if let Some(url) = units::start_page(&unit) {
        println!("{name} unit: open {url}");
    }
    if let Some(url) = metrics.url() {
        println!("{name} unit: metrics at {url}");
    }
    if let Some(id) = cmd.unit_id {
        unit = unit.unit_id(id);
    }
    if let Some(group) = cmd.replicas_group {
        unit = unit.replicas_group(group);
    }
    // Without credentials, the unit's own account from the data directory, if `modt up` or
    // `modt broker config` made one there: a replica's (`--unit-id state-2`, its presence is
    // its own) when there is one, else the unit's.
    let replica = unit.id();
    let account = match crate::credentials::password_path(&cmd.unit.data_dir, replica).exists() {
        true => replica,
        false => name,
    };
    let broker = crate::credentials::local_account(&cmd.unit.broker, &cmd.unit.data_dir, account);
    let config = broker.client_config("unused")?;
    // (Already on a runtime worker, see `main`: the receive loop hands messages to handler
    // tasks on the same pool, without a cross-thread wake-up for each.)
    let ran = unit
        .run(config, shutdown)
        .await
        .with_context(|| format!("while running the {name} unit"));
    metrics.stop().await;
    ran
}
