//! Presence of a running unit: retained `online`/`offline` status, retained info, and the
//! last will that marks the unit `offline` if it vanishes (docs/protocol.md §4).

use crate::error::{PublishError, PublishErrorKind};
use crate::protocol::{presence_status, topics, PingReply, Timestamp, UnitInfo};
use crate::{Client, Error, LastWill, Outgoing, Topic};

use super::metrics::Metrics;

/// The unit's presence topics.
#[derive(Debug, Clone)]
pub(crate) struct Presence {
    pub(crate) status: Topic,
    pub(crate) info_topic: Topic,
    pub(crate) info: UnitInfo,
}

impl Presence {
    pub(crate) fn new(info: UnitInfo) -> Result<Self, Error> {
        Ok(Presence {
            status: topics::unit_status(&info.unit_id)?,
            info_topic: topics::unit_info(&info.unit_id)?,
            info,
        })
    }

    /// The last will: retained `offline` on the status topic.
    pub(crate) fn last_will(&self) -> LastWill {
        LastWill {
            topic: self.status.clone(),
            payload: presence_status::OFFLINE.as_bytes().to_vec(),
            retain: true,
        }
    }

    /// Publishes retained info, then retained `online`.
    pub(crate) async fn announce(&self, client: &Client) -> Result<(), PublishError> {
        let info = crate::protocol::encode(&self.info).map_err(|e| {
            PublishError::new(
                PublishErrorKind::Encode,
                format!("could not encode the unit's info: {e}"),
            )
            .with_source(e)
        })?;
        client
            .publish(Outgoing::new(self.info_topic.clone(), info).retain(true))
            .await?;
        client
            .publish(
                Outgoing::new(
                    self.status.clone(),
                    presence_status::ONLINE.as_bytes().to_vec(),
                )
                .retain(true),
            )
            .await
    }

    /// Publishes retained `offline` (on a clean stop).
    pub(crate) async fn withdraw(&self, client: &Client) -> Result<(), PublishError> {
        client
            .publish(
                Outgoing::new(
                    self.status.clone(),
                    presence_status::OFFLINE.as_bytes().to_vec(),
                )
                .retain(true),
            )
            .await
    }

    pub(crate) fn ping_reply(&self, metrics: &Metrics, request_id: Option<String>) -> PingReply {
        let m = metrics.snapshot();
        PingReply {
            timestamp: Some(Timestamp::now()),
            unit_id: self.info.unit_id.clone(),
            instance_id: self.info.instance_id.clone(),
            uptime_secs: m.uptime_secs,
            handled: m.handled,
            errors: m.errors,
            dead_letters: m.dead_letters,
            in_flight: m.in_flight,
            request_id,
        }
    }
}
