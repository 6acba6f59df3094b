//! Starting a hub unit over a real SQLite file for a test, and talking to it as the original
//! Python units do (raw legacy JSON on `modt/{unit}/{VERB}`, answers on `modt/{unit}/response`).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use modt::protocol::{topics, DeadLetter, HubMethod, HubResponse};
use modt::{Client, MqttVersion, Outgoing, QoS, Subscription};
use modt_hub::{Defaults, HubConfig, HubStore, DB_FILE};
use modt_testkit::{client_id, recv_within, wait_online, RunningUnit, TestBroker};

/// How long any single answer may take before a test fails.
pub(crate) const T: Duration = Duration::from_secs(5);

/// A hub unit running against a broker, with its database in a temp dir.
pub(crate) struct HubUnit {
    pub(crate) unit: RunningUnit,
    pub(crate) store: Arc<dyn HubStore>,
    pub(crate) path: PathBuf,
    pub(crate) unit_id: String,
    pub(crate) dir: tempfile::TempDir,
}

impl HubUnit {
    pub(crate) fn db_path(&self) -> PathBuf {
        self.path.clone()
    }

    /// Stops the unit and closes its database; returns the data directory for a restart.
    pub(crate) async fn stop(self) -> tempfile::TempDir {
        self.unit.stop().await.unwrap();
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || store.close())
            .await
            .unwrap();
        self.dir
    }
}

/// Starts a hub on `broker` over `dir/modt_hub.db` (a new temp dir when `None`) with
/// `defaults`, and a client; waits until the hub is online.
pub(crate) async fn start(
    broker: &TestBroker,
    version: MqttVersion,
    dir: Option<tempfile::TempDir>,
    defaults: Defaults,
) -> (HubUnit, Client) {
    modt_testkit::init_tracing();
    let dir = dir.unwrap_or_else(|| tempfile::tempdir().unwrap());
    let path = dir.path().join(DB_FILE);
    let at = modt_store::Location::sqlite(&path);
    let store = modt_hub::store::open(&at, 1024).await.unwrap();
    let unit_id = client_id("hub");
    let config = HubConfig {
        defaults,
        ..Default::default()
    };
    let unit = modt_hub::unit(store.clone(), config).unit_id(&unit_id);
    let unit = RunningUnit::start(unit, broker.client_config("hub", version));
    let client = Client::connect(broker.client_config("req", version))
        .await
        .unwrap();
    wait_online(&client, &unit_id).await;
    (
        HubUnit {
            unit,
            store,
            path,
            unit_id,
            dir,
        },
        client,
    )
}

/// Writes a defaults file named `name` into `dir` and loads it as the hub does.
pub(crate) fn defaults_file(dir: &tempfile::TempDir, name: &str, text: &str) -> Defaults {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    Defaults::load(&path, &Default::default()).unwrap()
}

/// A subscription to `modt/{unit}/response`, as a legacy requester holds one.
pub(crate) async fn responses(c: &Client, unit: &str) -> Subscription {
    c.subscribe(
        &topics::hub_response(unit).unwrap().to_filter(),
        QoS::AtLeastOnce,
    )
    .await
    .unwrap()
}

/// Publishes `python_json` verbatim on `modt/{unit}/{verb}`.
pub(crate) async fn send(c: &Client, unit: &str, verb: HubMethod, python_json: &str) {
    let topic = topics::hub_request(unit, verb).unwrap();
    c.publish(Outgoing::new(topic, python_json.as_bytes().to_vec()))
        .await
        .unwrap();
}

/// The next answer on a response subscription, checked to be in the legacy shape.
pub(crate) async fn next_answer(sub: &mut Subscription, what: &str) -> HubResponse {
    let m = recv_within(sub, T, what).await;
    let v: serde_json::Value = m.json().unwrap();
    assert!(
        v.get("request_id").is_none() && v.get("reply_to").is_none(),
        "legacy answers carry no extension fields: {v}"
    );
    m.json().unwrap()
}

/// One legacy request and its answer (which must echo the request's id).
pub(crate) async fn legacy(
    c: &Client,
    unit: &str,
    verb: HubMethod,
    id: &str,
    python_json: &str,
) -> HubResponse {
    let mut sub = responses(c, unit).await;
    send(c, unit, verb, python_json).await;
    let answer = next_answer(&mut sub, &format!("the answer to {id}")).await;
    assert_eq!(answer.id, id);
    answer
}

/// The next dead letter of the hub.
pub(crate) async fn next_dead_letter(sub: &mut Subscription) -> DeadLetter {
    recv_within(sub, T, "a dead letter").await.json().unwrap()
}
