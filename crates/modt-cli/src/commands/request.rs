//! `modt req`: send a correlated request and print the reply.

use anyhow::Context as _;
use modt::Topic;

use super::{connect_requester, read_payload};
use crate::cli::ReqArgs;

pub(crate) async fn run(args: ReqArgs) -> anyhow::Result<()> {
    let topic = Topic::new(&args.topic)
        .with_context(|| format!("cannot send a request to {:?}", args.topic))?;
    let text = read_payload(&args.payload)?;
    let payload: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("the payload is not JSON: {text}"))?;
    let client = connect_requester(&args.client, "modt-req").await?;
    let result = client
        .request(
            &topic,
            &payload,
            modt::RequestOptions::new().timeout(args.timeout),
        )
        .await;
    client.shutdown().await;
    let reply = result?;
    println!("{}", super::subscribe::pretty(&reply.payload));
    modt::check_error_reply(&topic, &reply)?;
    Ok(())
}
