//! [`JsonFeed`]: the usual way a unit's page hears the bus — one MQTT subscription whose
//! messages are JSON of one type, decoded once and fanned out ([`Fanout`]) to every open
//! page that wants them, each with its own filter. Unreadable messages are skipped (logged
//! at debug) and never reach a page. [`event`] turns an item into a server-sent event.

use std::sync::Arc;

use axum::response::sse::Event;
use modt::{Client, QoS, TopicFilter};
use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::{Fanout, FanoutConfig, PushError, Receiver};

/// A typed feed. Cheap to clone; clones are the same feed.
pub struct JsonFeed<T> {
    fanout: Fanout<Arc<T>>,
}

impl<T> Clone for JsonFeed<T> {
    fn clone(&self) -> Self {
        JsonFeed {
            fanout: self.fanout.clone(),
        }
    }
}

impl<T> std::fmt::Debug for JsonFeed<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonFeed")
            .field("fanout", &self.fanout)
            .finish()
    }
}

impl<T: DeserializeOwned + Send + Sync + 'static> JsonFeed<T> {
    /// A feed nothing feeds yet (pages may follow it; [`send`](Self::send) feeds it).
    pub fn new(config: FanoutConfig) -> JsonFeed<T> {
        JsonFeed {
            fanout: Fanout::new(config),
        }
    }

    /// Subscribes to `filter` and feeds every message that decodes as a `T` to the pages
    /// until `shutdown` fires; the returned task is the feed's owner (await it after
    /// shutdown). Retained messages arrive first, like any other.
    pub async fn watch(
        client: &Client,
        filter: &TopicFilter,
        qos: QoS,
        config: FanoutConfig,
        shutdown: CancellationToken,
    ) -> Result<(JsonFeed<T>, JoinHandle<()>), modt::Error> {
        let feed = JsonFeed::new(config);
        let sub = client.subscribe(filter, qos).await?;
        let filter = filter.to_string();
        let feeding = feed.fanout.clone().pump(sub, shutdown, move |fanout, msg| {
            match msg.json::<T>() {
                Ok(item) => drop(fanout.send(&Arc::new(item))),
                Err(e) => tracing::debug!(%filter, topic = %msg.topic, error = %e, "ignoring an unreadable message"),
            }
        });
        Ok((feed, tokio::spawn(feeding)))
    }

    /// A page that gets every later item `wants` accepts, or
    /// [`PushError::TooManyClients`] / [`PushError::Closed`].
    pub fn follow(
        &self,
        wants: impl Fn(&T) -> bool + Send + Sync + 'static,
    ) -> Result<Receiver<Arc<T>>, PushError> {
        self.fanout.subscribe(move |item: &Arc<T>| wants(item))
    }

    /// Feeds `item` to the pages that want it, without waiting; returns how many got it.
    pub fn send(&self, item: T) -> usize {
        self.fanout.send(&Arc::new(item))
    }

    /// Pages following the feed now.
    pub fn pages(&self) -> usize {
        self.fanout.clients()
    }

    /// Ends the feed: pages read what is queued, then their streams end.
    pub fn close(&self) {
        self.fanout.close();
    }
}

/// `item` as a server-sent event named `name` with the item as JSON data (an item that
/// cannot be encoded becomes `null`, which a page ignores).
pub fn event<T: Serialize + ?Sized>(name: &str, item: &T) -> Event {
    let data = serde_json::to_string(item).unwrap_or_else(|_| "null".into());
    Event::default().event(name).data(data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::push::Delivery;
    use modt::{MqttVersion, Outgoing, Topic};
    use modt_testkit::TestBroker;
    use serde::Deserialize;

    #[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
    struct Reading {
        site: String,
        value: f64,
    }

    #[tokio::test]
    async fn messages_are_decoded_once_and_each_page_gets_what_it_wants() {
        let broker = TestBroker::embedded();
        let client = Client::connect(broker.client_config("feed", MqttVersion::V5))
            .await
            .unwrap();
        let stop = CancellationToken::new();
        let filter = TopicFilter::new("feed/+").unwrap();
        let config = FanoutConfig {
            per_client: 8,
            max_clients: 2,
        };
        let (feed, task) =
            JsonFeed::<Reading>::watch(&client, &filter, QoS::AtLeastOnce, config, stop.clone())
                .await
                .unwrap();
        let mut milano = feed.follow(|r| r.site == "milano").unwrap();
        let mut all = feed.follow(|_| true).unwrap();
        assert_eq!(
            feed.follow(|_| true).unwrap_err(),
            PushError::TooManyClients(2)
        );
        for payload in [
            r#"{"site":"torino","value":1}"#,
            "not json",
            r#"{"site":"milano","value":2}"#,
        ] {
            let topic = Topic::new("feed/x").unwrap();
            client
                .publish(Outgoing::new(topic, payload.as_bytes().to_vec()).qos(QoS::AtLeastOnce))
                .await
                .unwrap();
        }
        let site = |d: Option<Delivery<Arc<Reading>>>| match d {
            Some(Delivery::Item(r)) => r.site.clone(),
            other => format!("{other:?}"),
        };
        assert_eq!(site(all.recv().await), "torino");
        assert_eq!(
            site(all.recv().await),
            "milano",
            "the unreadable one is skipped"
        );
        assert_eq!(site(milano.recv().await), "milano");
        let e = format!(
            "{:?}",
            event(
                "reading",
                &Reading {
                    site: "s".into(),
                    value: 1.5
                }
            )
        );
        assert!(e.contains("reading") && e.contains("1.5"), "{e}");
        stop.cancel();
        task.await.unwrap();
        assert_eq!(all.recv().await, None, "the feed ends with its task");
        client.shutdown().await;
    }
}
