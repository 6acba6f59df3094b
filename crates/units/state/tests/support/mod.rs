//! Starting a state unit over a real SQLite file for a test.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::Arc;

use modt::{Client, MqttVersion};
use modt_state::{SqliteStore, StateConfig};
use modt_testkit::{client_id, wait_online, RunningUnit, TestBroker};

/// A state unit running against a broker, with its database in a temp dir.
pub(crate) struct StateUnit {
    pub(crate) unit: RunningUnit,
    pub(crate) store: SqliteStore,
    pub(crate) unit_id: String,
    pub(crate) dir: tempfile::TempDir,
}

impl StateUnit {
    pub(crate) fn db_path(&self) -> PathBuf {
        self.store.path().to_path_buf()
    }

    /// Stops the unit and closes its database.
    pub(crate) async fn stop(self) -> tempfile::TempDir {
        self.unit.stop().await.unwrap();
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || store.close())
            .await
            .unwrap();
        self.dir
    }
}

/// Starts a state unit on `broker` over `dir/modt_state.db` (a new temp dir when `None`),
/// and a client; waits until the unit is online.
pub(crate) async fn start(
    broker: &TestBroker,
    version: MqttVersion,
    dir: Option<tempfile::TempDir>,
) -> (StateUnit, Client) {
    modt_testkit::init_tracing();
    let dir = dir.unwrap_or_else(|| tempfile::tempdir().unwrap());
    let store = SqliteStore::open(dir.path().join("modt_state.db"), 8192).unwrap();
    let unit_id = client_id("state");
    let unit = modt_state::unit(Arc::new(store.clone()), StateConfig::default()).unit_id(&unit_id);
    let unit = RunningUnit::start(unit, broker.client_config("state", version));
    let client = Client::connect(broker.client_config("req", version))
        .await
        .unwrap();
    wait_online(&client, &unit_id).await;
    (
        StateUnit {
            unit,
            store,
            unit_id,
            dir,
        },
        client,
    )
}

/// A correlated set, which must be acknowledged.
pub(crate) async fn ack(c: &Client, set: &modt::protocol::StateSet) -> modt::protocol::StateAck {
    c.request_json(
        &modt::protocol::topics::STATE_SET,
        set,
        modt::RequestOptions::new(),
    )
    .await
    .unwrap()
}

/// A correlated get, which must be answered.
pub(crate) async fn value(
    c: &Client,
    get: &modt::protocol::StateGet,
) -> modt::protocol::StateValue {
    c.request_json(
        &modt::protocol::topics::STATE_GET,
        get,
        modt::RequestOptions::new(),
    )
    .await
    .unwrap()
}
