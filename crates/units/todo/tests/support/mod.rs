//! Starting a todo unit over a real SQLite file for a test, and calling it as the gateway
//! would: `ApiRequest`s with a verified caller, as correlated MQTT requests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use modt::protocol::{ApiReply, ApiRequest, Caller, ErrorBody, Role};
use modt::Topic;
use modt::{Client, MqttVersion, RequestError, RequestOptions};
use modt_testkit::{client_id, wait_online, RunningUnit, TestBroker};
use modt_todo::store::{SqliteTodoStore, TodoStore};
use modt_todo::TodoConfig;
use serde_json::Value;

/// A todo unit on a test broker, its database in a temp dir.
pub(crate) struct TodoUnit {
    pub(crate) unit: RunningUnit,
    pub(crate) store: SqliteTodoStore,
    pub(crate) unit_id: String,
    pub(crate) dir: tempfile::TempDir,
}

impl TodoUnit {
    /// Stops the unit and closes its database; returns the directory (to start again on it).
    pub(crate) async fn stop(self) -> tempfile::TempDir {
        self.unit.stop().await.unwrap();
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || store.close())
            .await
            .unwrap();
        self.dir
    }
}

/// Starts a todo unit (no web side) on `broker` over `dir/modt_todo.db` (a new temp dir
/// when `None`), and a client; waits until the unit is online.
pub(crate) async fn start(
    broker: &TestBroker,
    dir: Option<tempfile::TempDir>,
) -> (TodoUnit, Client) {
    modt_testkit::init_tracing();
    let dir = dir.unwrap_or_else(|| tempfile::tempdir().unwrap());
    let store = SqliteTodoStore::open(dir.path().join(modt_todo::store::SQLITE_FILE), 256).unwrap();
    let unit_id = client_id("todo");
    let shared: Arc<dyn TodoStore> = Arc::new(store.clone());
    let unit = modt_todo::unit(shared, TodoConfig::default(), None)
        .unwrap()
        .unit_id(&unit_id);
    let unit = RunningUnit::start(unit, broker.client_config("todo", MqttVersion::V5));
    let client = Client::connect(broker.client_config("gw", MqttVersion::V5))
        .await
        .unwrap();
    wait_online(&client, &unit_id).await;
    (
        TodoUnit {
            unit,
            store,
            unit_id,
            dir,
        },
        client,
    )
}

pub(crate) fn user(id: &str) -> Caller {
    Caller {
        user_id: id.into(),
        username: id.into(),
        role: Role::User,
        tenant: None,
    }
}

pub(crate) fn admin(id: &str) -> Caller {
    Caller {
        role: Role::Admin,
        ..user(id)
    }
}

/// An `ApiRequest` as the gateway builds it.
pub(crate) fn request(method: &str, route: &str, caller: Option<&Caller>) -> ApiRequest {
    let mut r = ApiRequest::new(method, route);
    r.caller = caller.cloned();
    r
}

pub(crate) fn with_id(mut r: ApiRequest, id: &str) -> ApiRequest {
    r.params.insert("id".into(), id.into());
    r
}

pub(crate) fn with_body(mut r: ApiRequest, body: Value) -> ApiRequest {
    r.body = Some(body);
    r
}

pub(crate) fn with_header(mut r: ApiRequest, name: &str, value: &str) -> ApiRequest {
    r.headers.insert(name.into(), value.into());
    r
}

pub(crate) fn with_query(mut r: ApiRequest, name: &str, value: &str) -> ApiRequest {
    r.query.insert(name.into(), value.into());
    r
}

/// Sends `req` on `topic` with `options`; the unit's reply, or its error reply.
pub(crate) async fn call_with(
    c: &Client,
    topic: &Topic,
    req: &ApiRequest,
    options: RequestOptions,
) -> Result<ApiReply, ErrorBody> {
    let options = options.timeout(Duration::from_secs(10));
    c.request_json::<_, ApiReply>(topic, req, options)
        .await
        .map_err(|e: RequestError| {
            e.error_reply()
                .cloned()
                .unwrap_or_else(|| panic!("no error reply: {e}"))
        })
}

/// Sends `req` on `topic`.
pub(crate) async fn call(
    c: &Client,
    topic: &Topic,
    req: &ApiRequest,
) -> Result<ApiReply, ErrorBody> {
    call_with(c, topic, req, RequestOptions::new()).await
}

/// A successful reply's body as `T`.
pub(crate) fn body<T: serde::de::DeserializeOwned>(reply: &ApiReply) -> T {
    serde_json::from_value(reply.body.clone().expect("a body")).unwrap()
}

/// The fields of an `unprocessable` error, in order.
pub(crate) fn fields(e: &ErrorBody) -> Vec<String> {
    assert_eq!(e.code, modt::protocol::ErrorCode::Unprocessable, "{e:?}");
    e.details.iter().map(|d| d.field.clone()).collect()
}

/// Creates a todo titled `title` for `who` (must succeed).
pub(crate) async fn create(c: &Client, who: &Caller, title: &str) -> modt::protocol::Todo {
    let req = with_body(
        request("POST", "/todos", Some(who)),
        serde_json::json!({ "title": title }),
    );
    body(
        &call(c, &modt::protocol::topics::TODO_CREATE, &req)
            .await
            .unwrap(),
    )
}
