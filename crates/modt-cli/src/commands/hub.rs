//! `modt hub …`: the hub registry from the command line, through the SDK's [`modt::HubClient`]
//! (legacy requests, so it works with any hub that speaks the original protocol).

use modt::protocol::hub_status;
use modt::HubClient;

use super::connect_requester;
use super::state::parse_value;
use crate::cli::{HubCmd, HubOp};

pub(crate) async fn run(cmd: HubCmd) -> anyhow::Result<()> {
    let client = connect_requester(&cmd.client, "modt-hub").await?;
    let answer = async {
        let hub = HubClient::new(&client, &cmd.as_unit)
            .await?
            .with_timeout(cmd.timeout);
        Ok::<_, modt::Error>(match cmd.op {
            HubOp::Get { key } => hub.get(key).await?,
            HubOp::Post { key, value, string } => {
                hub.post(key, parse_value(&value, string)).await?
            }
            HubOp::Put { key, value, string } => hub.put(key, parse_value(&value, string)).await?,
        })
    }
    .await;
    client.shutdown().await;
    let answer = answer?;
    println!("{}", serde_json::to_string_pretty(&answer)?);
    if answer.status == hub_status::TIMEOUT {
        anyhow::bail!(
            "the hub did not answer within {:?} (status 408)",
            cmd.timeout
        );
    }
    Ok(())
}
