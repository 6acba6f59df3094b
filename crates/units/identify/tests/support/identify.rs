//! Starting an identify unit for a test, in one place: a SQLite store at a given path, its
//! pages on `127.0.0.1:0`, the unit running on a test broker. The identify crate's tests use
//! it through `support`, and the tests of the units that need a login (dummy, viewer, monitor)
//! include this file with `#[path = "…/identify/tests/support/identify.rs"] mod identify;`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::Arc;

use modt::directory::WebUnits;
use modt::unit::Setup;
use modt::MqttVersion;
use modt_identify::store::IdentityStore;
use modt_identify::{IdentifyConfig, Role, SqliteIdentityStore};
use modt_testkit::{client_id, RunningUnit, TestBroker};

/// A running identify unit (not yet known to be online: wait on `unit_id`).
pub(crate) struct RunningIdentify {
    pub(crate) unit: RunningUnit,
    /// Where its pages are, `http://127.0.0.1:PORT`.
    pub(crate) url: String,
    pub(crate) store: Arc<dyn IdentityStore>,
    pub(crate) unit_id: String,
}

/// Starts an identify unit on `broker` with `config`, its accounts in the SQLite file `db`
/// (created if missing), linking the web sides of `web_units`.
pub(crate) async fn start_identify(
    broker: &TestBroker,
    db: &Path,
    config: IdentifyConfig,
    web_units: WebUnits,
) -> RunningIdentify {
    let db = db.to_path_buf();
    let store = tokio::task::spawn_blocking(move || SqliteIdentityStore::open(&db))
        .await
        .unwrap()
        .unwrap();
    let store: Arc<dyn IdentityStore> = Arc::new(store);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let unit_id = client_id("identify");
    let unit = modt_identify::unit(store.clone(), config, listener)
        .unwrap()
        .unit_id(&unit_id)
        .web_units(web_units);
    let unit = RunningUnit::start(unit, broker.client_config("identify", MqttVersion::V5));
    RunningIdentify {
        unit,
        url,
        store,
        unit_id,
    }
}

/// What a browser test of a web unit starts from: an identify unit on `broker` (its accounts
/// in `dir/identify.db`, linking every web unit) and the [`Setup`] that points the other
/// units' web sides at it, on ports the system picks.
pub(crate) async fn start_for_web(broker: &TestBroker, dir: &Path) -> (RunningIdentify, Setup) {
    let id = start_identify(
        broker,
        &dir.join("identify.db"),
        IdentifyConfig::default(),
        WebUnits::Any,
    )
    .await;
    let mut setup = Setup::new(dir);
    setup.web.first_port = Some(0);
    setup.web.identify_url = Some(id.url.clone());
    (id, setup)
}

/// Creates an account directly in the store; returns its user id.
pub(crate) async fn add_user(
    store: &Arc<dyn IdentityStore>,
    name: &str,
    password: &str,
    role: Role,
) -> String {
    let hash = modt_identify::password::hash(password.to_string())
        .await
        .unwrap();
    store.create_user(name, &hash, role).await.unwrap().user_id
}
