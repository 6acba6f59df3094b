//! One module per `modt` command.

pub(crate) mod bench;
pub(crate) mod broker;
pub(crate) mod hub;
pub(crate) mod monitor;
pub(crate) mod publish;
pub(crate) mod request;
pub(crate) mod state;
pub(crate) mod subscribe;
pub(crate) mod unit;
pub(crate) mod up;
pub(crate) mod users;

use modt::env::BrokerArgs;
use modt::Client;

/// Connects a short-lived command-line client: with the given credentials, else with the
/// local `cli` account from the data directory if there is one, else anonymously.
pub(crate) async fn connect(broker: &BrokerArgs, prefix: &str) -> anyhow::Result<Client> {
    Ok(Client::connect(client_config(broker, prefix)?).await?)
}

/// [`connect`] for a command that sends requests: they fail as soon as every unit serving
/// their topic goes offline ([`Client::fail_fast_with`]) rather than at their timeout. The
/// presence watch ends with the process.
pub(crate) async fn connect_requester(broker: &BrokerArgs, prefix: &str) -> anyhow::Result<Client> {
    let client = connect(broker, prefix).await?;
    let presence =
        modt::Directory::watch(&client, tokio_util::sync::CancellationToken::new()).await?;
    client.fail_fast_with(presence);
    Ok(client)
}

/// The config [`connect`] uses: the CLI's credentials, a unique client id from `prefix`.
pub(crate) fn client_config(
    broker: &BrokerArgs,
    prefix: &str,
) -> anyhow::Result<modt::ClientConfig> {
    let (broker, prefix) = crate::credentials::for_cli(broker, prefix);
    Ok(broker.client_config(modt::ClientConfig::unique_client_id(&prefix))?)
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
