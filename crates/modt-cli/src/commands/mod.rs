//! One module per `modt` command.
//!
//! Which commands a build holds follows its features (crates/modt-cli/Cargo.toml): `up`,
//! `bench`, `tools` (state, hub, monitor, users, auth, sim); the rest are always there.

#[cfg(feature = "tools")]
pub(crate) mod auth;
#[cfg(feature = "bench")]
pub(crate) mod bench;
pub(crate) mod broker;
#[cfg(feature = "tools")]
pub(crate) mod hub;
#[cfg(feature = "tools")]
pub(crate) mod monitor;
pub(crate) mod publish;
pub(crate) mod request;
// The `sim` command is a tool; its devices also serve `up --demo-devices` and `bench ingest`.
#[cfg(any(feature = "tools", feature = "up", feature = "bench"))]
#[cfg_attr(not(feature = "tools"), allow(dead_code))]
pub(crate) mod sim;
#[cfg(feature = "tools")]
pub(crate) mod state;
pub(crate) mod subscribe;
pub(crate) mod unit;
#[cfg(feature = "up")]
pub(crate) mod up;
#[cfg(feature = "tools")]
pub(crate) mod users;

use modt::Client;

use crate::cli::ClientArgs;

/// Connects a short-lived command-line client: with the given credentials, else with the
/// local `cli` account from the data directory if there is one, else anonymously.
pub(crate) async fn connect(args: &ClientArgs, prefix: &str) -> anyhow::Result<Client> {
    connect_as(args, crate::credentials::CLI_ACCOUNT, prefix).await
}

/// [`connect`], with the local `account` instead of `cli` when no credentials were given.
pub(crate) async fn connect_as(
    args: &ClientArgs,
    account: &str,
    prefix: &str,
) -> anyhow::Result<Client> {
    let config = config_as(args, account, prefix)?;
    let account = config.credentials.as_ref().map(|c| c.username.clone());
    Client::connect(config)
        .await
        .map_err(|e| explain(e, args, account.as_deref()))
}

/// Subscribes `client` to every filter into `inbox`; a refusal says which account and where
/// its rules are.
pub(crate) async fn subscribe_all(
    client: &Client,
    filters: &[modt::TopicFilter],
    qos: modt::QoS,
    inbox: &modt::Inbox,
) -> anyhow::Result<()> {
    for f in filters {
        if let Err(e) = client.subscribe_into(f, qos, inbox).await {
            let refused = e.kind() == modt::error::SubscribeErrorKind::Refused;
            let who = match client.account() {
                Some(a) => format!("account {a:?}"),
                None => "anonymous clients".to_string(),
            };
            let hint = format!(
                "{who} may not subscribe to {f}: the broker policy's subscribe rules for it \
                 ([accounts.NAME] and [common] in config/broker-policy.toml, or --broker-policy) \
                 do not cover this filter"
            );
            return Err(if refused {
                anyhow::Error::new(e).context(hint)
            } else {
                e.into()
            });
        }
    }
    Ok(())
}

/// A connection failure with what to do about it.
fn explain(
    e: modt::error::ConnectError,
    args: &ClientArgs,
    account: Option<&str>,
) -> anyhow::Error {
    use modt::error::ConnectErrorKind::{Refused, TimedOut, Unreachable};
    let hint = match (e.kind(), account) {
        (Unreachable | TimedOut, _) => "no MQTT broker is reachable; start the whole system \
             with `modt up`, or point --broker-host/--broker-port (MODT_BROKER_HOST/MODT_BROKER_PORT) \
             at a running broker"
            .to_string(),
        (Refused, None) => format!(
            "the broker wants credentials, and none were given or found at {} (give --data-dir / \
             MODT_DATA_DIR where `modt up` keeps its data, or --broker-username with \
             --broker-password-file)",
            crate::credentials::password_path(&args.data_dir, crate::credentials::CLI_ACCOUNT)
                .display()
        ),
        (Refused, Some(account)) => format!(
            "the broker refused account {account:?}: check its password (a `modt up` data \
             directory keeps it in credentials/{account}.password)"
        ),
        _ => return e.into(),
    };
    anyhow::Error::new(e).context(hint)
}

/// [`connect`] for a command that sends requests: they fail as soon as every unit serving
/// their topic goes offline ([`Client::fail_fast_with`]) rather than at their timeout. The
/// presence watch ends with the process.
pub(crate) async fn connect_requester(args: &ClientArgs, prefix: &str) -> anyhow::Result<Client> {
    let client = connect(args, prefix).await?;
    let presence =
        modt::Directory::watch(&client, tokio_util::sync::CancellationToken::new()).await?;
    client.fail_fast_with(presence);
    Ok(client)
}

/// The config [`connect_as`] uses: `account`'s credentials, a unique client id from `prefix`.
pub(crate) fn config_as(
    args: &ClientArgs,
    account: &str,
    prefix: &str,
) -> anyhow::Result<modt::ClientConfig> {
    let (broker, prefix) =
        crate::credentials::for_account(&args.broker, &args.data_dir, account, prefix);
    let mut config = broker.client_config(modt::ClientConfig::unique_client_id(&prefix))?;
    // A command fails at once when no broker listens, rather than waiting for one.
    config.wait_for_broker = false;
    Ok(config)
}

/// Creates the data directory, owner-only: it holds password hashes, users' data and the
/// generated broker credentials.
pub(crate) fn private_data_dir(dir: &std::path::Path) -> anyhow::Result<()> {
    modt::files::private_dir(dir)
        .map_err(|e| anyhow::anyhow!("cannot create the data directory {}: {e}", dir.display()))
}

/// Reads a payload argument: `-` means stdin.
pub(crate) fn read_payload(arg: &str) -> anyhow::Result<String> {
    if arg == "-" {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
            .map_err(|e| anyhow::anyhow!("cannot read the payload from stdin: {e}"))?;
        Ok(s)
    } else {
        Ok(arg.to_owned())
    }
}
