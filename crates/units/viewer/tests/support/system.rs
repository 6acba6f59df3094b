//! A whole system for the viewer's tests: the embedded broker, a real state unit (SQLite in
//! a temp dir), identify and the viewer on ephemeral ports; users logged in through the API.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt as _;
use modt::{Client, MqttVersion};
use modt_identify::store::IdentityStore;
use modt_identify::{IdentifyConfig, Role};
use modt_testkit::{client_id, wait_online, RunningUnit, TestBroker};
use modt_viewer::ViewerConfig;
use serde_json::json;

use super::Browser;

#[path = "../../../identify/tests/support/identify.rs"]
mod identify;

pub(crate) const WAIT: Duration = Duration::from_secs(5);

pub(crate) struct System {
    pub(crate) _broker: TestBroker,
    pub(crate) _dir: tempfile::TempDir,
    pub(crate) state: Option<RunningUnit>,
    pub(crate) _identify: RunningUnit,
    pub(crate) _viewer: RunningUnit,
    pub(crate) identify_url: String,
    pub(crate) url: String,
    pub(crate) store: Arc<dyn IdentityStore>,
    pub(crate) client: Client,
}

pub(crate) async fn listener() -> (tokio::net::TcpListener, String) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    (l, url)
}

pub(crate) async fn system() -> System {
    modt_testkit::init_tracing();
    let broker = TestBroker::embedded();
    let dir = tempfile::tempdir().unwrap();
    let cfg = |p| broker.client_config(p, MqttVersion::V5);
    let client = Client::connect(cfg("t")).await.unwrap();

    let state_store = modt_state::SqliteStore::open(dir.path().join("state.db"), 1024).unwrap();
    let state_id = client_id("state");
    let state = modt_state::unit(Arc::new(state_store), Default::default()).unit_id(&state_id);
    let state = RunningUnit::start(state, cfg("state"));

    let identify = identify::start_identify(
        &broker,
        &dir.path().join("id.db"),
        IdentifyConfig::default(),
        modt::directory::WebUnits::Any,
    )
    .await;
    let (identify_id, identify_url, store) = (identify.unit_id, identify.url, identify.store);
    let identify = identify.unit;

    let (l, url) = listener().await;
    let viewer_id = client_id("viewer");
    let config = ViewerConfig {
        timeout: Duration::from_secs(1),
        ..Default::default()
    };
    let viewer = RunningUnit::start(
        modt_viewer::unit(config, l).unwrap().unit_id(&viewer_id),
        cfg("viewer"),
    );
    for id in [&state_id, &identify_id, &viewer_id] {
        wait_online(&client, id).await;
    }
    System {
        _broker: broker,
        _dir: dir,
        state: Some(state),
        _identify: identify,
        _viewer: viewer,
        identify_url,
        url,
        store,
        client,
    }
}

/// A browser logged in as a new user: (HTTP client with the session cookie, user id).
pub(crate) async fn user(sys: &System, name: &str, role: Role) -> (Browser, String) {
    let hash = modt_identify::password::hash("long-enough".into())
        .await
        .unwrap();
    let user = sys.store.create_user(name, &hash, role).await.unwrap();
    let res = reqwest::Client::new()
        .post(format!("{}/api/login", sys.identify_url))
        .header("content-type", "application/json")
        .body(json!({"username": name, "password": "long-enough"}).to_string())
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = serde_json::from_str(&res.text().await.unwrap()).unwrap();
    let sid = body["session_id"].as_str().unwrap().to_string();
    (Browser::with_session(&sys.url, &sid), user.user_id)
}

pub(crate) fn cell(html: &str, key: &str) -> Option<String> {
    let start = html.find(&format!("<tr data-key=\"{key}\">"))?;
    let row = &html[start..];
    let pre = row.find("<pre")?;
    let open = row[pre..].find('>')? + pre + 1;
    let close = row[open..].find("</pre>")? + open;
    Some(row[open..close].to_string())
}

/// Reads the event stream into `seen` until it holds `needle`.
pub(crate) async fn read_until<S>(events: &mut S, seen: &mut String, needle: &str)
where
    S: futures::Stream<Item = reqwest::Result<bytes::Bytes>> + Unpin,
{
    while !seen.contains(needle) {
        let chunk = tokio::time::timeout(WAIT, events.next())
            .await
            .unwrap_or_else(|_| panic!("no {needle:?} in {seen}"))
            .unwrap()
            .unwrap();
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
}
