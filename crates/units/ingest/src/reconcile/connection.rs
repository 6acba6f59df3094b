//! One connection's task: connect, subscribe, hand every message to the parsers and the
//! intake, and on failure report why and try again after a backoff — until cancelled.

use std::sync::Arc;

use modt::protocol::ingest::{Connection, ConnectionState, ConnectionStatus};
use rumqttc::{AsyncClient, Event, Packet, QoS as MqttQoS, SubscribeFilter};
use tokio_util::sync::CancellationToken;

use super::backoff;
use super::mqtt::{self, CLIENT_QUEUE};
use super::status::StatusSink;
use crate::model::{now_ms, timestamp};
use crate::parse::Registry;
use crate::pipeline::intake::Ack;
use crate::pipeline::{Intake, Queued};

/// What one connection task runs with.
#[derive(Debug)]
pub struct ConnectionTask {
    /// The configuration.
    pub connection: Connection,
    /// The password, unsealed (never logged).
    pub password: Option<modt::Secret>,
    /// The parsers.
    pub registry: Arc<Registry>,
    /// Where parsed messages go.
    pub intake: Intake,
    /// Where states go.
    pub sink: StatusSink,
}

enum Ended {
    Cancelled,
    Failed(String),
}

impl ConnectionTask {
    /// Runs until `stop` fires.
    pub async fn run(self, stop: CancellationToken) {
        let mut attempt: u32 = 0;
        loop {
            self.report(ConnectionState::Connecting, None, attempt, None)
                .await;
            match self.session(&stop, &mut attempt).await {
                Ended::Cancelled => return,
                Ended::Failed(reason) => {
                    attempt = attempt.saturating_add(1);
                    let wait = backoff::delay(attempt);
                    let next = now_ms()
                        .saturating_add(i64::try_from(wait.as_millis()).unwrap_or(i64::MAX));
                    self.report(ConnectionState::Failed, Some(reason), attempt, Some(next))
                        .await;
                    tokio::select! {
                        () = stop.cancelled() => return,
                        () = tokio::time::sleep(wait) => {}
                    }
                }
            }
        }
    }

    async fn report(
        &self,
        state: ConnectionState,
        reason: Option<String>,
        attempt: u32,
        next_ms: Option<i64>,
    ) {
        self.sink
            .report(ConnectionStatus {
                connection_id: self.connection.id.clone(),
                state,
                reason,
                attempt,
                since: timestamp(now_ms()),
                next_attempt_at: next_ms.map(timestamp),
            })
            .await;
    }

    /// One connection, from CONNECT to its end.
    async fn session(&self, stop: &CancellationToken, attempt: &mut u32) -> Ended {
        let password = self.password.as_ref().map(|p| p.expose().to_owned());
        let options = match mqtt::options(&self.connection, password.as_deref()) {
            Ok(o) => o,
            Err(reason) => return Ended::Failed(reason),
        };
        let (client, mut events) = AsyncClient::new(options, CLIENT_QUEUE);
        let id = &self.connection.id;
        loop {
            let event = tokio::select! {
                () = stop.cancelled() => {
                    // Best effort: a broker that is gone notices by itself. Messages that
                    // arrive meanwhile are not acknowledged: the session keeps them.
                    let _ = client.try_disconnect();
                    let _ = tokio::time::timeout(std::time::Duration::from_millis(500), async {
                        while events.poll().await.is_ok() {}
                    })
                    .await;
                    return Ended::Cancelled;
                }
                event = events.poll() => event,
            };
            match event {
                Ok(Event::Incoming(Packet::ConnAck(_))) => {
                    let filters = self.connection.subscriptions.iter().map(|s| {
                        let qos = if s.qos >= 1 {
                            MqttQoS::AtLeastOnce
                        } else {
                            MqttQoS::AtMostOnce
                        };
                        SubscribeFilter::new(s.filter.clone(), qos)
                    });
                    if let Err(e) = client.try_subscribe_many(filters) {
                        return Ended::Failed(format!("cannot subscribe: {e}"));
                    }
                }
                Ok(Event::Incoming(Packet::SubAck(ack))) => {
                    let refused = ack
                        .return_codes
                        .iter()
                        .zip(&self.connection.subscriptions)
                        .filter(|(code, _)| matches!(code, rumqttc::SubscribeReasonCode::Failure))
                        .map(|(_, s)| s.filter.as_str())
                        .collect::<Vec<_>>();
                    if !refused.is_empty() {
                        return Ended::Failed(format!(
                            "the broker refused the subscription to {}",
                            refused.join(", ")
                        ));
                    }
                    *attempt = 0;
                    self.report(ConnectionState::Connected, None, 0, None).await;
                }
                Ok(Event::Incoming(Packet::Publish(publish))) => {
                    if !self.receive(&client, publish).await {
                        return Ended::Cancelled;
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::debug!(connection = %id, error = %e, "ingest connection ended");
                    return Ended::Failed(mqtt::describe(&e));
                }
            }
        }
    }

    /// Parses one message and queues it; `false` when the writer is gone.
    async fn receive(&self, client: &AsyncClient, publish: rumqttc::Publish) -> bool {
        let topic = publish.topic.clone();
        let received =
            self.registry
                .receive(&self.connection.id, &topic, &publish.payload, now_ms());
        if publish.qos == MqttQoS::AtMostOnce {
            self.intake.offer(Queued {
                received,
                ack: None,
            });
            return true;
        }
        let ack = Ack {
            client: client.clone(),
            publish: rumqttc::Publish {
                payload: Default::default(),
                ..publish
            },
        };
        self.intake
            .send(Queued {
                received,
                ack: Some(ack),
            })
            .await
    }
}
