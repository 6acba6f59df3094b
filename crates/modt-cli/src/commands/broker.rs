//! `modt broker config`: the broker policy and local credentials as Mosquitto configuration
//! (`password_file` in Mosquitto's own hash format, `acl_file`, `mosquitto.conf`).

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
