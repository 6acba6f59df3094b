//! Starting a monitor beside a real identify unit, logging people in, and talking to the
//! monitor's WebSocket like a page does.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt as _;
use modt::{Client, MqttVersion};
use modt_identify::{IdentifyConfig, Role};
use modt_monitor::{Live, MonitorConfig};
use modt_testkit::{client_id, wait_online, RunningUnit, TestBroker};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

#[path = "../../../identify/tests/support/identify.rs"]
mod identify;

/// How long a test waits for anything.
pub(crate) const WAIT: Duration = Duration::from_secs(10);

/// A running identify unit with an administrator and a plain user logged in.
pub(crate) struct Identify {
    pub(crate) unit: RunningUnit,
    pub(crate) url: String,
    pub(crate) admin_session: String,
    pub(crate) user_session: String,
    _dir: tempfile::TempDir,
}

/// A running monitor.
pub(crate) struct Monitor {
    pub(crate) unit: RunningUnit,
    pub(crate) url: String,
    pub(crate) live: Arc<Live>,
    pub(crate) unit_id: String,
}

/// A test client connected to `broker`.
pub(crate) async fn client(broker: &TestBroker) -> Client {
    Client::connect(broker.client_config("test", MqttVersion::V5))
        .await
        .unwrap()
}

/// Starts an identify unit, creates `ada` (admin) and `bob` (user) and logs both in.
pub(crate) async fn start_identify(broker: &TestBroker, client: &Client) -> Identify {
    modt_testkit::init_tracing();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("id.db");
    let any = modt::directory::WebUnits::Any;
    let identify = identify::start_identify(broker, &db, IdentifyConfig::default(), any).await;
    wait_online(client, &identify.unit_id).await;
    identify::add_user(&identify.store, "ada", "long-enough", Role::Admin).await;
    identify::add_user(&identify.store, "bob", "long-enough", Role::User).await;
    let (unit, url) = (identify.unit, identify.url);
    let admin_session = login(&url, "ada").await;
    let user_session = login(&url, "bob").await;
    Identify {
        unit,
        url,
        admin_session,
        user_session,
        _dir: dir,
    }
}

async fn login(identify_url: &str, name: &str) -> String {
    let res = reqwest::Client::new()
        .post(format!("{identify_url}/api/login"))
        .header("content-type", "application/json")
        .body(format!(
            r#"{{"username":"{name}","password":"long-enough"}}"#
        ))
        .send()
        .await
        .unwrap();
    let body: Value = serde_json::from_str(&res.text().await.unwrap()).unwrap();
    body["session_id"].as_str().unwrap().to_string()
}

/// Starts a monitor with `config` and waits until it is online.
pub(crate) async fn start_monitor(
    broker: &TestBroker,
    client: &Client,
    config: MonitorConfig,
) -> Monitor {
    modt_testkit::init_tracing();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let live = Live::new(&config);
    let unit_id = client_id("monitor");
    let unit = modt_monitor::unit(config, live.clone(), listener)
        .unwrap()
        .unit_id(&unit_id);
    let unit = RunningUnit::start(unit, broker.client_config("monitor", MqttVersion::V5));
    wait_online(client, &unit_id).await;
    // The web side serves once the `#` subscription is acknowledged.
    let health = tokio::time::timeout(WAIT, get(&url, "/healthz", None))
        .await
        .expect("the monitor serves");
    assert_eq!(health.status(), 200);
    Monitor {
        unit,
        url,
        live,
        unit_id,
    }
}

/// GET `path` on `base` with an optional session cookie.
pub(crate) async fn get(base: &str, path: &str, session: Option<&str>) -> reqwest::Response {
    let mut req = reqwest::Client::new().get(format!("{base}{path}"));
    if let Some(sid) = session {
        req = req.header("cookie", format!("modt_session_id={sid}"));
    }
    req.send().await.unwrap()
}

/// A page's WebSocket.
pub(crate) type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Opens `/feed{query}` as the holder of `session`; `Err` carries the refused status.
pub(crate) async fn open_feed(
    base: &str,
    query: &str,
    session: Option<&str>,
    origin: Option<&str>,
) -> Result<Socket, u16> {
    let url = format!("{}/feed{query}", base.replacen("http://", "ws://", 1));
    let mut req = url.into_client_request().unwrap();
    if let Some(sid) = session {
        req.headers_mut()
            .insert("cookie", format!("modt_session_id={sid}").parse().unwrap());
    }
    if let Some(o) = origin {
        req.headers_mut().insert("origin", o.parse().unwrap());
    }
    match tokio_tungstenite::connect_async(req).await {
        Ok((socket, _)) => Ok(socket),
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => Err(res.status().as_u16()),
        Err(e) => panic!("WebSocket failed: {e}"),
    }
}

/// The next JSON frame, with its raw text.
pub(crate) async fn next_frame(socket: &mut Socket) -> (Value, String) {
    loop {
        let msg = tokio::time::timeout(WAIT, socket.next())
            .await
            .expect("a frame within the wait")
            .expect("the socket is open")
            .expect("a readable frame");
        if let WsMessage::Text(text) = msg {
            let raw = text.to_string();
            return (serde_json::from_str(&raw).unwrap(), raw);
        }
    }
}

/// Reads frames until one of type `kind` for which `keep` holds; returns it with its text.
pub(crate) async fn frame_where(
    socket: &mut Socket,
    kind: &str,
    keep: impl Fn(&Value) -> bool,
) -> (Value, String) {
    loop {
        let (v, raw) = next_frame(socket).await;
        if v["type"] == kind && keep(&v) {
            return (v, raw);
        }
    }
}

/// The messages of a `history` or `batch` frame.
pub(crate) fn messages(frame: &Value) -> &Vec<Value> {
    frame["messages"].as_array().expect("messages")
}
