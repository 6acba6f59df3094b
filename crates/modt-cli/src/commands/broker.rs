//! `modt broker config`: the broker policy and local credentials as Mosquitto configuration
//! (`password_file` in Mosquitto's own hash format, `acl_file`, `mosquitto.conf`).
//! `modt broker serve`: the embedded broker alone, optionally as one node of a cluster
//! (docs/broker-cluster.md).

use std::path::Path;

use anyhow::Context as _;
use modt_broker::BrokerPolicy;

use crate::cli::BrokerConfigArgs;
use crate::credentials;

/// The policy in `path`, or the one shipped with MoDT.
pub(crate) fn load_policy(path: Option<&Path>) -> anyhow::Result<BrokerPolicy> {
    match path {
        Some(p) => {
            let text = std::fs::read_to_string(p).with_context(|| {
                format!(
                    "cannot read the broker policy {} (--broker-policy)",
                    p.display()
                )
            })?;
            BrokerPolicy::parse(&text).with_context(|| format!("in {}", p.display()))
        }
        None => Ok(BrokerPolicy::builtin()?),
    }
}

pub(crate) fn config(args: BrokerConfigArgs) -> anyhow::Result<()> {
    let policy = load_policy(args.broker_policy.as_deref())?.in_namespace(&args.namespace);
    super::private_data_dir(&args.data_dir)?;
    let passwords = credentials::ensure(&args.data_dir, &policy)?;
    let hashes = credentials::hashed(&passwords)?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let out = args
        .out
        .canonicalize()
        .with_context(|| format!("cannot resolve {}", args.out.display()))?;
    credentials::write_private(
        &out.join("password_file"),
        &modt_broker::passwd::password_file(hashes.iter().map(|(u, h)| (u.as_str(), h.as_str()))),
    )?;
    credentials::write_private(
        &out.join("acl_file"),
        &modt_broker::mosquitto::acl_file(&policy),
    )?;
    std::fs::write(
        out.join("mosquitto.conf"),
        modt_broker::mosquitto::conf(&out, &args.bind, args.port, args.mosquitto_user.as_deref()),
    )
    .with_context(|| format!("cannot write {}", out.join("mosquitto.conf").display()))?;
    println!(
        "wrote {}/{{mosquitto.conf,password_file,acl_file}}",
        out.display()
    );
    println!(
        "run:  mosquitto -c {}",
        out.join("mosquitto.conf").display()
    );
    let namespace = match args.namespace.is_default() {
        true => String::new(),
        false => format!(" --namespace {}", args.namespace),
    };
    println!(
        "then: modt up --external-broker --broker-port {} --data-dir {}{namespace}",
        args.port,
        args.data_dir.display()
    );
    Ok(())
}

/// The access policy a broker of its own enforces: open with `--allow-anonymous`, else the
/// policy with every account's password (generated in the data directory if missing).
#[cfg(feature = "up")]
fn access_policy(
    args: &crate::cli::BrokerServeArgs,
) -> anyhow::Result<std::sync::Arc<dyn modt_broker::AccessPolicy>> {
    if args.allow_anonymous {
        return Ok(std::sync::Arc::new(modt_broker::OpenPolicy));
    }
    let policy = load_policy(args.broker_policy.as_deref())?.in_namespace(&args.namespace);
    super::private_data_dir(&args.data_dir)?;
    let passwords = credentials::ensure(&args.data_dir, &policy)?;
    Ok(std::sync::Arc::new(modt_broker::Enforced::new(
        policy,
        credentials::hashed(&passwords)?.into_iter().collect(),
    )))
}

/// `modt broker serve`: runs the embedded broker until Ctrl-C or SIGTERM; with
/// `--cluster-node`/`--cluster-peers`, as a node of a cluster of such brokers.
#[cfg(feature = "up")]
pub(crate) async fn serve(
    args: crate::cli::BrokerServeArgs,
    shutdown: tokio_util::sync::CancellationToken,
) -> anyhow::Result<()> {
    let cluster = match (args.cluster_node, args.cluster_peers.is_empty()) {
        (Some(node), false) => Some(
            modt_broker::ClusterConfig::new(node, args.cluster_peers.clone())
                .context("in --cluster-node / --cluster-peers")?,
        ),
        (None, true) => None,
        _ => anyhow::bail!(
            "give --cluster-node (MODT_CLUSTER_NODE) and --cluster-peers (MODT_CLUSTER_PEERS) together"
        ),
    };
    let access = access_policy(&args)?;
    let mut config = modt_broker::BrokerConfig::listen(args.listen);
    config.cluster = cluster.clone();
    let broker =
        tokio::task::spawn_blocking(move || modt_broker::EmbeddedBroker::start(config, access))
            .await
            .context("the broker's start task failed")??;
    println!("MoDT broker listening on mqtt://{}", broker.local_addr());
    println!("  access   {}", broker.policy());
    if let Some(c) = &cluster {
        println!(
            "  cluster  node {} of {}, cluster port {} (peers: {})",
            c.node(),
            c.peers().len(),
            c.this_node().addr,
            c.peers()
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(",")
        );
    }
    shutdown.cancelled().await;
    tokio::task::spawn_blocking(move || broker.stop())
        .await
        .context("the broker's stop task failed")?;
    Ok(())
}
