//! The check at the start of `modt sim devices` that the broker takes the simulator's
//! messages at all. A broker that refuses a publish under its ACL drops a QoS 0 message
//! without a word (and under MQTT 3.1.1 it cannot say so even at QoS 1), so a run as the
//! wrong account would count messages nobody receives. The run's first message therefore
//! goes out at QoS 1 while the simulator is subscribed to that exact topic: the message
//! coming back shows the broker took it. One subscription and one message: no extra topic,
//! nothing the ingest unit would not see anyway.
//!
//! An account that may not subscribe (the `devices` account of `modt up` may only publish)
//! cannot be checked this way: the run goes on and says so.

use std::time::Duration;

use anyhow::Context as _;
use modt::error::SubscribeErrorKind;
use modt::{Client, Outgoing, QoS};

use super::generator::SimMessage;

/// How long the first message may take to come back before the run is called refused.
pub(crate) const PROBE_WAIT: Duration = Duration::from_secs(3);

/// What the check found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Probe {
    /// The broker passed the first message on: it takes the run's messages.
    Delivered,
    /// The check could not be made (why); the message was still sent.
    Unchecked(String),
}

/// Sends `first` at QoS 1 through `client`, subscribed to its topic, and waits up to
/// [`PROBE_WAIT`] for it to come back; an error when it does not (the broker refused it).
pub(crate) async fn first_message(
    client: &Client,
    first: &SimMessage,
    broker: &str,
) -> anyhow::Result<Probe> {
    let filter = first.topic.to_filter();
    let mut echo = match client.subscribe(&filter, QoS::AtLeastOnce).await {
        Ok(sub) => Some(sub),
        Err(e) if e.kind() == SubscribeErrorKind::Refused => None,
        Err(e) => return Err(e).context("subscribing to the first message's topic"),
    };
    client
        .publish(Outgoing::new(first.topic.clone(), first.payload.clone()).qos(QoS::AtLeastOnce))
        .await
        .context("publishing the first device message")?;
    let Some(echo) = echo.as_mut() else {
        return Ok(Probe::Unchecked(format!(
            "{} may not subscribe to {filter}",
            who(client)
        )));
    };
    let back = async {
        while let Some(msg) = echo.recv().await {
            if msg.payload[..] == first.payload[..] {
                return true;
            }
        }
        false
    };
    match tokio::time::timeout(PROBE_WAIT, back).await {
        Ok(true) => Ok(Probe::Delivered),
        Ok(false) => Ok(Probe::Unchecked("the connection closed".into())),
        Err(_) => anyhow::bail!(
            "the broker at {broker} did not pass on the first device message (to {topic}) \
             within {PROBE_WAIT:?}: it refuses what {who} publishes there, so every message \
             of this run would be dropped unseen. Use an account allowed to publish device \
             messages (`modt up` makes one: `devices`, in --data-dir's credentials; on another \
             broker, --broker-username/--broker-password of an account whose ACL allows \
             +/gateway/#). If this account may publish but not read these topics, \
             --no-delivery-check skips this check.",
            topic = first.topic,
            who = who(client),
        ),
    }
}

fn who(client: &Client) -> String {
    match client.account() {
        Some(a) => format!("account {a:?}"),
        None => "an anonymous client".to_string(),
    }
}
