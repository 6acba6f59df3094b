//! `modt up`: the embedded broker plus every unit, until Ctrl-C.
//!
//! - `replicas`: `--replicas NAME=N`, several replicas of a shareable unit in the one process.

mod replicas;

pub(crate) use replicas::Replicas;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use anyhow::Context as _;
use modt::Credentials;
use modt_broker::{AccessPolicy, BrokerConfig, EmbeddedBroker, Enforced, OpenPolicy};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::cli::UpArgs;
use crate::{credentials, units};

pub(crate) async fn run(mut args: UpArgs, shutdown: CancellationToken) -> anyhow::Result<()> {
    super::private_data_dir(&args.unit.data_dir)?;
    // Least privilege unless anonymous access was asked for: every unit logs in with its own
    // account (passwords generated on first run) and the broker enforces the policy.
    let mut policy = crate::commands::broker::load_policy(args.broker_policy.as_deref())?
        .in_namespace(&args.unit.broker.namespace);
    replicas::add_accounts(&mut policy, &args.replicas)?;
    args.unit
        .web_units
        .get_or_insert_with(|| policy.web_accounts().map(String::from).collect());
    let passwords = if args.allow_anonymous {
        Default::default()
    } else {
        credentials::ensure(&args.unit.data_dir, &policy)?
    };
    let access: Arc<dyn AccessPolicy> = if args.allow_anonymous {
        Arc::new(OpenPolicy)
    } else {
        Arc::new(Enforced::new(
            policy.clone(),
            credentials::hashed(&passwords)?.into_iter().collect(),
        ))
    };
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
        let broker = EmbeddedBroker::start(config, access)?;
        // `--broker-port 0` asks for any free port: the units connect to the one it got.
        args.unit.broker.port = broker.local_addr().port();
        Some(broker)
    };

    // The ingest unit's demo connection goes to the embedded broker (made on its first start).
    #[cfg(feature = "unit-ingest")]
    if broker.is_some() {
        let own = format!("{}:{}", args.unit.broker.host, args.unit.broker.port);
        args.units.ingest.demo_broker.get_or_insert(own);
    }
    let mut setup = args.unit.setup()?;
    setup.web.host = args.web_host.clone();
    setup.web.first_port = Some(args.web_port);
    let mut built = args.units.clone().build(&setup).await?;
    let catalog = replicas::catalog(&built);
    let more = replicas::build(&args.units, &setup, &catalog, &args.replicas).await?;
    built.extend(more);
    // Before the units run: their series are made when they start.
    let has_web_side = built.iter().any(|u| u.web_address().is_some());
    let metrics = crate::metrics::start(&setup, has_web_side).await?;

    if !args.allow_anonymous {
        // Before anything is printed: a unit without a broker account cannot log in.
        if let Some(unit) = built.iter().find(|u| !passwords.contains_key(u.id())) {
            anyhow::bail!(
                "the broker policy has no account for the {0} unit: add [accounts.{0}] with what \
                 it may publish and subscribe to, to a copy of config/broker-policy.toml, and pass \
                 it with --broker-policy (or run with --allow-anonymous for local development)",
                unit.id()
            );
        }
    }
    println!("MoDT is starting");
    #[cfg(feature = "unit-identify")]
    if let Some(login) = built
        .iter()
        .find(|u| u.name() == modt_identify::NAME)
        .and_then(units::start_page)
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
    if args.allow_anonymous {
        println!(
            "           units connect anonymously (--allow-anonymous): local development only"
        );
    } else {
        println!(
            "           units log in with their own accounts; passwords in {}",
            credentials::dir(&args.unit.data_dir).display()
        );
    }
    println!("  data     {}", args.unit.data_dir.display());
    if let Some(url) = metrics.url() {
        println!("  metrics  {url}  (and at every web side's /metrics)");
    }
    #[cfg(feature = "store")]
    if let Some(url) = &args.unit.database_url {
        // Shown masked: the URL's Display never prints a password.
        println!("  database {url}  (state, identify and hub, a schema each)");
    }

    let unit_stop = CancellationToken::new();
    let mut tasks = JoinSet::new();
    for unit in built {
        // The unit's id is its account: its name, or `NAME-K` for a replica.
        let name = unit.id().to_owned();
        let mut config = args.unit.broker.client_config("unused")?;
        if !args.allow_anonymous {
            let account = name.as_str();
            let password = passwords.get(account).with_context(|| {
                format!("the broker policy has no account for the {account} unit")
            })?;
            config.credentials = Some(Credentials {
                username: account.to_string(),
                password: password.clone(),
            });
        }
        let token = unit_stop.clone();
        match unit.web_address() {
            Some(url) => println!(
                "  unit     {name:<8} serves {}  web {url}/",
                units::serves(&unit)
            ),
            None => println!("  unit     {name:<8} serves {}", units::serves(&unit)),
        }
        tasks.spawn(async move { (name, unit.run(config, token).await) });
    }
    // `--demo-devices`: simulated devices on the embedded broker, for the demo connection.
    let demo = if args.demo_devices && broker.is_some() {
        let stop = unit_stop.clone();
        Some(super::sim::demo::start_demo(&args.unit.broker, &passwords, stop).await?)
    } else {
        None
    };
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
    if let Some(demo) = demo {
        let _ = demo.await;
    }
    while let Some(done) = tasks.join_next().await {
        if let Some(err) = describe_err(done) {
            failure.get_or_insert(err);
        }
    }
    metrics.stop().await;
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

type Done = Result<(String, Result<(), modt::Error>), tokio::task::JoinError>;

fn describe(done: Done) -> anyhow::Error {
    describe_err(done).unwrap_or_else(|| anyhow::anyhow!("a unit stopped unexpectedly"))
}

fn describe_err(done: Done) -> Option<anyhow::Error> {
    match done {
        Ok((_, Ok(()))) => None,
        Ok((name, Err(e))) => {
            Some(anyhow::Error::new(e).context(format!("the {name} unit failed")))
        }
        Err(e) => Some(anyhow::anyhow!("a unit task failed: {e}")),
    }
}
