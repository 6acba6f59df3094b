//! The ingest unit on an embedded broker, called as the gateway calls it: who may do what,
//! validation as field errors, `If-Match` versions, the password never shown back, and a
//! change applied by the reconciler at once (its retained status), then a device message on
//! the connection stored and announced.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use modt::protocol::ingest::DeviceEvents;
use modt::protocol::ingest::{
    ConnectionState, ConnectionStatus, ConnectionWithStatus, DeviceEvent, DeviceTree,
};
use modt::protocol::{topics, ApiReply, ApiRequest, Caller, ErrorBody, ErrorCode, Role};
use modt::{Client, MqttVersion, QoS, RequestError, RequestOptions, Topic};
use modt_ingest::parse::Registry;
use modt_ingest::secret::SecretKey;
use modt_ingest::store::sqlite::SqliteIngestStore;
use modt_ingest::store::IngestStore;
use modt_ingest::{IngestConfig, WebConfig};
use modt_testkit::{client_id, recv_within, wait_online, RunningUnit, TestBroker};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(10);

fn caller(id: &str, role: Role) -> Caller {
    Caller {
        user_id: id.into(),
        username: id.into(),
        role,
        tenant: None,
    }
}

fn request(
    method: &str,
    route: &str,
    who: Option<&Caller>,
    id: Option<&str>,
    body: Option<Value>,
) -> ApiRequest {
    let mut r = ApiRequest::new(method, route);
    r.caller = who.cloned();
    if let Some(id) = id {
        r.params.insert("id".into(), id.into());
    }
    r.body = body;
    r
}

async fn call(c: &Client, topic: &Topic, req: &ApiRequest) -> Result<ApiReply, ErrorBody> {
    c.request_json::<_, ApiReply>(topic, req, RequestOptions::new().timeout(WAIT))
        .await
        .map_err(|e: RequestError| {
            e.error_reply()
                .cloned()
                .unwrap_or_else(|| panic!("no error reply: {e}"))
        })
}

fn body<T: serde::de::DeserializeOwned>(reply: &ApiReply) -> T {
    serde_json::from_value(reply.body.clone().expect("a body")).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_change_connections_users_read_and_changes_apply_at_once() {
    modt_testkit::init_tracing();
    let broker = TestBroker::embedded();
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn IngestStore> =
        Arc::new(SqliteIngestStore::open(dir.path().join("i.db"), 16).unwrap());
    let config = IngestConfig {
        store: store.clone(),
        key: Arc::new(SecretKey::load_or_create(dir.path()).unwrap()),
        registry: Registry::builtin().unwrap(),
        sweep: Duration::from_secs(30),
        demo: None,
        limits: modt_ingest::store::Limits::default(),
    };
    let unit_id = client_id("ingest");
    let unit = modt_ingest::unit::unit(config, WebConfig::default(), None)
        .unwrap()
        .unit_id(&unit_id);
    let running = RunningUnit::start(unit, broker.client_config("ingest", MqttVersion::V5));
    let c = Client::connect(broker.client_config("gw", MqttVersion::V5))
        .await
        .unwrap();
    wait_online(&c, &unit_id).await;
    let mut statuses = c
        .subscribe(&topics::ALL_INGEST_STATUS, QoS::AtLeastOnce)
        .await
        .unwrap();
    let (admin, user) = (caller("ann", Role::Admin), caller("bob", Role::User));

    let list = request("GET", "/ingest/connections", None, None, None);
    assert_eq!(
        call(&c, &topics::INGEST_CONNECTIONS_LIST, &list)
            .await
            .unwrap_err()
            .code,
        ErrorCode::Unauthorized
    );
    let draft = json!({"name": "plant", "host": "127.0.0.1", "port": broker.port(), "username": "meter",
                       "password": "s3cret", "subscriptions": [{"filter": "+/gateway/#", "qos": 1}]});
    let create = request(
        "POST",
        "/ingest/connections",
        Some(&user),
        None,
        Some(draft.clone()),
    );
    assert_eq!(
        call(&c, &topics::INGEST_CONNECTIONS_CREATE, &create)
            .await
            .unwrap_err()
            .code,
        ErrorCode::Forbidden
    );
    let bad = json!({"name": "", "host": "h", "subscriptions": [{"filter": "a/#/b", "qos": 2}]});
    let create = request("POST", "/ingest/connections", Some(&admin), None, Some(bad));
    let err = call(&c, &topics::INGEST_CONNECTIONS_CREATE, &create)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Unprocessable);
    let fields: Vec<_> = err.details.iter().map(|d| d.field.as_str()).collect();
    assert_eq!(
        fields,
        ["/name", "/subscriptions/0/filter", "/subscriptions/0/qos"]
    );

    let create = request(
        "POST",
        "/ingest/connections",
        Some(&admin),
        None,
        Some(draft),
    );
    let reply = call(&c, &topics::INGEST_CONNECTIONS_CREATE, &create)
        .await
        .unwrap();
    assert_eq!(reply.status, 201);
    assert_eq!(reply.headers.get("etag").map(String::as_str), Some("\"1\""));
    assert!(
        !serde_json::to_string(&reply).unwrap().contains("s3cret"),
        "never shown back"
    );
    let created: ConnectionWithStatus = body(&reply);
    let id = created.connection.id.clone();
    assert!(created.connection.has_password);

    // The reconciler starts it at once: its retained status says connected.
    loop {
        let msg = recv_within(&mut statuses, WAIT, "a connected status").await;
        let s: ConnectionStatus = serde_json::from_slice(&msg.payload).unwrap();
        if s.state == ConnectionState::Connected {
            assert_eq!(s.connection_id, id);
            break;
        }
    }
    // A device message on that broker is stored and announced.
    let mut events = c
        .subscribe(&topics::ALL_INGEST_DEVICES_CHANGED, QoS::AtMostOnce)
        .await
        .unwrap();
    let reading = br#"{"ts":"2026-11-30T19:40:00Z","readings":[{"sensor":"t1","kind":"temperature","value":20.5}]}"#;
    c.publish(modt::Outgoing::new(
        Topic::new("plant-a/gateway/7/datalogger/SN1").unwrap(),
        reading.to_vec(),
    ))
    .await
    .unwrap();
    let msg = recv_within(&mut events, WAIT, "a device event").await;
    // The batch's events of a site, in one message.
    let events: DeviceEvents = msg.json().unwrap();
    assert!(
        matches!(events.events.as_slice(), [DeviceEvent::Readings { site, .. }] if site == "plant-a"),
        "{events:?}"
    );
    let devices = request("GET", "/ingest/devices", Some(&user), None, None);
    let tree: DeviceTree = body(
        &call(&c, &topics::INGEST_DEVICES_LIST, &devices)
            .await
            .unwrap(),
    );
    assert_eq!(
        tree.sites[0].gateways[0].dataloggers[0].sensors[0].value,
        20.5
    );

    let mut stop = request(
        "PATCH",
        "/ingest/connections/{id}",
        Some(&admin),
        Some(&id),
        Some(json!({"is_active": false})),
    );
    stop.headers.insert("if-match".into(), "\"7\"".into());
    let err = call(&c, &topics::INGEST_CONNECTIONS_UPDATE, &stop)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::PreconditionFailed);
    stop.headers.insert("if-match".into(), "\"1\"".into());
    let reply = call(&c, &topics::INGEST_CONNECTIONS_UPDATE, &stop)
        .await
        .unwrap();
    assert_eq!(reply.headers.get("etag").map(String::as_str), Some("\"2\""));
    loop {
        let msg = recv_within(&mut statuses, WAIT, "a stopped status").await;
        let s: ConnectionStatus = serde_json::from_slice(&msg.payload).unwrap();
        if s.state == ConnectionState::Stopped {
            break;
        }
    }

    let delete = request(
        "DELETE",
        "/ingest/connections/{id}",
        Some(&admin),
        Some(&id),
        None,
    );
    assert_eq!(
        call(&c, &topics::INGEST_CONNECTIONS_DELETE, &delete)
            .await
            .unwrap()
            .status,
        204
    );
    let get = request(
        "GET",
        "/ingest/connections/{id}",
        Some(&user),
        Some(&id),
        None,
    );
    assert_eq!(
        call(&c, &topics::INGEST_CONNECTIONS_GET, &get)
            .await
            .unwrap_err()
            .code,
        ErrorCode::NotFound
    );
    running.stop().await.unwrap();
    tokio::task::spawn_blocking(move || store.close())
        .await
        .unwrap();
}
