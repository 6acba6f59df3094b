//! `modt up`: the embedded broker plus every unit, until Ctrl-C.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use anyhow::Context as _;
use modt_broker::{BrokerConfig, EmbeddedBroker, OpenPolicy};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::cli::UpArgs;
use crate::units;

pub(crate) async fn run(args: UpArgs, shutdown: CancellationToken) -> anyhow::Result<()> {
    let broker = if args.external_broker {
        None
    } else {
        let ip: IpAddr = args.broker_bind.parse().with_context(|| {
            format!(
                "--broker-bind / MODT_BROKER_BIND {:?} is not an IP address",
                args.broker_bind
            )
        })?;
        let config = BrokerConfig::listen(SocketAddr::new(ip, args.unit.broker.port));
        Some(EmbeddedBroker::start(config, Arc::new(OpenPolicy))?)
    };

    std::fs::create_dir_all(&args.unit.data_dir).with_context(|| {
        format!(
            "cannot create the data directory {}",
            args.unit.data_dir.display()
        )
    })?;

    let mut built = Vec::new();
    for &name in units::ALL {
        let addr = units::web_addr(name, &args.web_host, args.web_port);
        built.push((name, units::build(name, &args.unit, addr, None).await?));
    }

    println!("MoDT is starting");
    if let Some(login) = built
        .iter()
        .find(|(n, _)| *n == crate::cli::UnitName::Identify)
        .and_then(|(_, b)| b.url.clone())
    {
        println!("  open     {login}    <- start here");
    }
    match &broker {
        Some(b) => {
            println!("  broker   mqtt://{}  (embedded)", b.local_addr());
            println!("           access: {}", b.policy());
        }
        None => println!(
            "  broker   mqtt://{}:{}  (external)",
            args.unit.broker.host, args.unit.broker.port
        ),
    }
    println!("  data     {}", args.unit.data_dir.display());

    let unit_stop = CancellationToken::new();
    let mut tasks = JoinSet::new();
    for (name, unit) in built {
        let config = args.unit.broker.client_config("unused")?;
        let token = unit_stop.clone();
        match &unit.url {
            Some(url) => println!(
                "  unit     {:<8} serves {}  web {url}",
                units::name_of(name),
                units::serves(name)
            ),
            None => println!(
                "  unit     {:<8} serves {}",
                units::name_of(name),
                units::serves(name)
            ),
        }
        tasks.spawn(async move { (name, unit.run(config, token).await) });
    }
    println!("Press Ctrl-C to stop.");

    let mut failure = None;
    tokio::select! {
        _ = shutdown.cancelled() => {}
        Some(done) = tasks.join_next() => {
            failure = Some(describe(done));
        }
    }
    // Units first (they publish `offline` and flush), then the broker.
    unit_stop.cancel();
    while let Some(done) = tasks.join_next().await {
        if let Some(err) = describe_err(done) {
            failure.get_or_insert(err);
        }
    }
    if let Some(b) = broker {
        tokio::task::spawn_blocking(move || b.stop())
            .await
            .context("while stopping the broker")?;
    }
    println!("MoDT stopped.");
    match failure {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

type Done = Result<(crate::cli::UnitName, Result<(), modt::Error>), tokio::task::JoinError>;

fn describe(done: Done) -> anyhow::Error {
    describe_err(done).unwrap_or_else(|| anyhow::anyhow!("a unit stopped unexpectedly"))
}

fn describe_err(done: Done) -> Option<anyhow::Error> {
    match done {
        Ok((_, Ok(()))) => None,
        Ok((name, Err(e))) => {
            Some(anyhow::Error::new(e).context(format!("the {} unit failed", units::name_of(name))))
        }
        Err(e) => Some(anyhow::anyhow!("a unit task failed: {e}")),
    }
}
