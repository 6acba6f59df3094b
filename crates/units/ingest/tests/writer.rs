//! The writer when the store refuses a batch: it tries the same batch again (backing off,
//! the pipeline waiting) and acknowledges it only once stored; when `stop` fires first it
//! gives the batch up unacknowledged. The store is the real SQLite store behind a wrapper
//! that refuses the first writes; acknowledgements go to a real rumqttc client's request
//! channel.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use modt::protocol::ingest::{
    ConnectionStatus, DeviceTree, DiscoveredTopic, ParseFailure, SensorHistory, SensorKey,
};
use modt_ingest::parse::Registry;
use modt_ingest::pipeline::intake::Ack;
use modt_ingest::pipeline::{Intake, LimitWatch, Queued, Writer};
use modt_ingest::store::sqlite::SqliteIngestStore;
use modt_ingest::store::{
    Applied, Batch, IngestStore, ParseLogQuery, StoreError, StoredConnection, TopicQuery,
};
use rumqttc::{PubAck, Publish, QoS, Request};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// The SQLite store, refusing its first `fail` batches.
#[derive(Debug)]
struct Refusing {
    inner: SqliteIngestStore,
    fail: usize,
    tries: AtomicUsize,
    refused: Notify,
}

#[async_trait]
impl IngestStore for Refusing {
    async fn connections(&self) -> Result<Vec<StoredConnection>, StoreError> {
        self.inner.connections().await
    }
    async fn connection(&self, id: &str) -> Result<Option<StoredConnection>, StoreError> {
        self.inner.connection(id).await
    }
    async fn create(&self, connection: StoredConnection) -> Result<(), StoreError> {
        self.inner.create(connection).await
    }
    async fn replace(&self, connection: StoredConnection, expected: u64) -> Result<(), StoreError> {
        self.inner.replace(connection, expected).await
    }
    async fn delete(
        &self,
        id: &str,
        if_match: Option<Vec<u64>>,
    ) -> Result<StoredConnection, StoreError> {
        self.inner.delete(id, if_match).await
    }
    async fn log(&self, status: ConnectionStatus) -> Result<(), StoreError> {
        self.inner.log(status).await
    }
    async fn connection_log(
        &self,
        id: &str,
        limit: usize,
    ) -> Result<Vec<ConnectionStatus>, StoreError> {
        self.inner.connection_log(id, limit).await
    }
    async fn flag(&self, key: &str) -> Result<bool, StoreError> {
        self.inner.flag(key).await
    }
    async fn set_flag(&self, key: &str) -> Result<(), StoreError> {
        self.inner.set_flag(key).await
    }
    async fn apply(&self, batch: Arc<Batch>) -> Result<Applied, StoreError> {
        if self.tries.fetch_add(1, Ordering::SeqCst) < self.fail {
            self.refused.notify_one();
            return Err(StoreError::Storage("disk I/O error (injected)".into()));
        }
        self.inner.apply(batch).await
    }
    async fn topics(&self, query: TopicQuery) -> Result<Vec<DiscoveredTopic>, StoreError> {
        self.inner.topics(query).await
    }
    async fn devices(&self) -> Result<DeviceTree, StoreError> {
        self.inner.devices().await
    }
    async fn history(&self, key: SensorKey) -> Result<Option<SensorHistory>, StoreError> {
        self.inner.history(key).await
    }
    async fn parse_log(&self, query: ParseLogQuery) -> Result<Vec<ParseFailure>, StoreError> {
        self.inner.parse_log(query).await
    }
    fn close(&self) {
        self.inner.close();
    }
}

/// A writer on a store refusing its first `fail` batches, one QoS 1 message (packet id 7)
/// queued: the store, the writer's task, its stop token, and where acknowledgements go.
async fn start(
    dir: &tempfile::TempDir,
    fail: usize,
) -> (
    Arc<Refusing>,
    tokio::task::JoinHandle<()>,
    CancellationToken,
    flume::Receiver<Request>,
) {
    let store = Arc::new(Refusing {
        inner: SqliteIngestStore::open(dir.path().join("i.db"), 16).unwrap(),
        fail,
        tries: AtomicUsize::new(0),
        refused: Notify::new(),
    });
    let (intake, queue, shed) = Intake::with_capacity(16);
    let writer = Writer {
        store: store.clone(),
        client: None,
        limits: LimitWatch::default(),
    };
    let stop = CancellationToken::new();
    let task = tokio::spawn(writer.run(queue, shed, stop.clone()));
    let (acks_tx, acks) = flume::bounded(16);
    let mut publish = Publish::new("some/topic", QoS::AtLeastOnce, "hello");
    publish.pkid = 7;
    let received = Registry::builtin()
        .unwrap()
        .receive("c1", "some/topic", b"hello", 1);
    let queued = Queued {
        received,
        ack: Some(Ack {
            client: rumqttc::AsyncClient::from_senders(acks_tx),
            publish,
        }),
    };
    assert!(intake.send(queued).await);
    // The queue closes: the writer stores what it holds, then ends.
    drop(intake);
    (store, task, stop, acks)
}

/// The topics the store holds (the test stores at most one).
async fn stored_topics(store: &Refusing) -> Vec<DiscoveredTopic> {
    store
        .topics(TopicQuery {
            limit: 10,
            ..TopicQuery::default()
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn a_refused_batch_is_stored_once_on_a_later_try_then_acknowledged() {
    tokio::time::pause();
    let dir = tempfile::tempdir().unwrap();
    let (store, task, _stop, acks) = start(&dir, 2).await;
    task.await.unwrap();
    assert_eq!(
        store.tries.load(Ordering::SeqCst),
        3,
        "refused twice, then stored"
    );
    let topics = stored_topics(&store).await;
    assert_eq!(topics.len(), 1);
    assert_eq!(topics[0].count, 1, "stored once");
    assert!(matches!(
        acks.try_recv(),
        Ok(Request::PubAck(PubAck { pkid: 7 }))
    ));
}

#[tokio::test]
async fn stopping_while_the_store_refuses_gives_the_batch_up_unacknowledged() {
    tokio::time::pause();
    let dir = tempfile::tempdir().unwrap();
    let (store, mut task, stop, acks) = start(&dir, usize::MAX).await;
    let refused_twice = async {
        store.refused.notified().await;
        store.refused.notified().await;
    };
    tokio::select! {
        () = refused_twice => {}
        _ = &mut task => panic!("the writer ended without trying the refused batch again"),
    }
    stop.cancel();
    task.await.unwrap();
    assert!(store.tries.load(Ordering::SeqCst) >= 2);
    // Nothing acknowledged: the client was dropped with the batch.
    assert!(matches!(
        acks.try_recv(),
        Err(flume::TryRecvError::Disconnected)
    ));
    let topics = stored_topics(&store).await;
    assert!(topics.is_empty());
}
