//! `modt pub`: publish one message.

use anyhow::Context as _;
use modt::{Outgoing, QoS, Topic};

use super::{connect, read_payload};
use crate::cli::PubArgs;

pub(crate) async fn run(args: PubArgs) -> anyhow::Result<()> {
    let topic =
        Topic::new(&args.topic).with_context(|| format!("cannot publish to {:?}", args.topic))?;
    let qos = QoS::from_level(args.qos)
        .with_context(|| format!("--qos {} is not 0, 1 or 2", args.qos))?;
    let payload = match &args.payload {
        Some(p) => read_payload(p)?,
        None => String::new(),
    };
    let client = connect(&args.client, "modt-pub").await?;
    client
        .publish(
            Outgoing::new(topic, payload.into_bytes())
                .qos(qos)
                .retain(args.retain),
        )
        .await?;
    client.shutdown().await;
    Ok(())
}
