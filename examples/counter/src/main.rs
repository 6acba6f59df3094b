//! The counter unit as a program of its own, against any broker:
//!
//! ```text
//! cargo run -p modt-example-counter -- --broker-port 1883
//! modt req modt/counter/add '{"name":"visits"}'
//! ```
//!
//! The same [`build`] runs inside any other program: see `docs/writing-a-unit.md` for adding
//! it to one that runs several units.

use std::path::PathBuf;

use clap::Parser;
use modt::unit::Setup;
use modt_example_counter::{build, Args, ABOUT, NAME};
use tokio_util::sync::CancellationToken;

/// The program's flags: where the broker is, where data goes, and the unit's own.
#[derive(Debug, Parser)]
#[command(name = "counter", about = ABOUT)]
struct Cli {
    #[command(flatten)]
    broker: modt::env::BrokerArgs,
    /// Directory for the unit's data.
    #[arg(long, env = "MODT_DATA_DIR", default_value = "./modt-data")]
    data_dir: PathBuf,
    #[command(flatten)]
    counter: Args,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("MODT_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let cli = Cli::parse();
    let unit = build(cli.counter, &Setup::new(cli.data_dir)).await?;
    let config = cli.broker.client_config(NAME)?;
    // Ctrl-C stops the unit: it drains what is in flight, announces `offline`, runs its
    // clean-ups and returns.
    let stop = CancellationToken::new();
    let on_signal = stop.clone();
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        on_signal.cancel();
    });
    unit.run(config, stop).await?;
    Ok(())
}
