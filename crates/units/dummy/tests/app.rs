//! The sample app with a real identify unit: it answers logins with `modt/app/ready`, shows
//! the logged-in user, and is friendly to everyone else, including when identify is down.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use modt::protocol::{topics, AppReady, AuthSuccess};
use modt::{Client, MqttVersion, QoS};
use modt_dummy::DummyConfig;
use modt_identify::{IdentifyConfig, Role};
use modt_testkit::{client_id, recv_within, wait_online, RunningUnit, TestBroker};

#[path = "../../identify/tests/support/identify.rs"]
mod identify;

const WAIT: Duration = Duration::from_secs(5);

async fn start_app(broker: &TestBroker, config: DummyConfig) -> (RunningUnit, String, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let unit_id = client_id("dummy");
    let unit = modt_dummy::unit(config, listener)
        .unwrap()
        .unit_id(&unit_id);
    let running = RunningUnit::start(unit, broker.client_config("dummy", MqttVersion::V5));
    (running, url, unit_id)
}

fn get(url: &str, cookie: Option<&str>) -> reqwest::RequestBuilder {
    let mut req = reqwest::Client::new().get(url);
    if let Some(sid) = cookie {
        req = req.header("cookie", format!("modt_session_id={sid}"));
    }
    req
}

#[tokio::test]
async fn answers_a_login_with_its_page() {
    modt_testkit::init_tracing();
    let broker = TestBroker::embedded();
    let (app, url, unit_id) = start_app(&broker, DummyConfig::default()).await;
    let client = Client::connect(broker.client_config("t", MqttVersion::V5))
        .await
        .unwrap();
    wait_online(&client, &unit_id).await;
    let mut ready = client
        .subscribe(&topics::APP_READY.to_filter(), QoS::AtLeastOnce)
        .await
        .unwrap();
    client
        .publish_json(&topics::AUTH_SUCCESS, &AuthSuccess::new("u1", "s1", "user"))
        .await
        .unwrap();
    let msg: AppReady = recv_within(&mut ready, WAIT, "app/ready")
        .await
        .json()
        .unwrap();
    assert_eq!(msg.session_id, "s1");
    assert_eq!(msg.app_name, "dummy");
    assert_eq!(msg.redirect_url, format!("{url}/"));
    app.stop().await.unwrap();
}

#[tokio::test]
async fn shows_the_user_and_is_friendly_to_everyone_else() {
    modt_testkit::init_tracing();
    let broker = TestBroker::embedded();
    let dir = tempfile::tempdir().unwrap();
    let any = modt::directory::WebUnits::Any;
    let db = dir.path().join("id.db");
    let identify = identify::start_identify(&broker, &db, IdentifyConfig::default(), any).await;
    let (identify, id_url, store) = (identify.unit, identify.url, identify.store);
    let (app, url, unit_id) = start_app(&broker, DummyConfig::default()).await;
    let client = Client::connect(broker.client_config("t", MqttVersion::V5))
        .await
        .unwrap();
    wait_online(&client, &unit_id).await;

    let user_id = identify::add_user(&store, "nora", "long-enough", Role::Admin).await;
    let login = reqwest::Client::new()
        .post(format!("{id_url}/api/login"))
        .body(r#"{"username":"nora","password":"long-enough"}"#)
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = serde_json::from_str(&login.text().await.unwrap()).unwrap();
    let sid = body["session_id"].as_str().unwrap().to_string();

    let page = get(&format!("{url}/"), Some(&sid)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains(">nora<"), "{html}");
    assert!(html.contains(&user_id), "{html}");
    assert!(
        html.contains(">administrator<"),
        "the role, in words: {html}"
    );
    // The identify unit is found through presence for the logout link.
    let logout = format!("{id_url}/logout").replace('/', "&#x2f;");
    assert!(html.contains(&logout), "{html}");

    let anon = get(&format!("{url}/"), None)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(anon.contains("You are not logged in"), "{anon}");
    assert!(
        anon.contains(&format!("{id_url}/login").replace('/', "&#x2f;")),
        "{anon}"
    );

    let expired = get(&format!("{url}/"), Some("not-a-session"))
        .send()
        .await
        .unwrap();
    assert_eq!(expired.status(), 200);
    let expired = expired.text().await.unwrap();
    assert!(expired.contains("Your session has ended"), "{expired}");
    assert!(expired.contains("&amp;expired=1"), "{expired}");
    let back = format!("login?next={}", url.replace(':', "%3A").replace('/', "%2F"));
    assert!(
        anon.contains(&back.replace('/', "&#x2f;")),
        "logging in comes back here: {anon}"
    );

    let ja = get(&format!("{url}/"), None)
        .header("accept-language", "ja")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(ja.contains("ログインしていません"), "{ja}");

    // The identify unit stops: a clear page after the timeout, not a hang.
    identify.stop().await.unwrap();
    let down = get(&format!("{url}/"), Some(&sid)).send().await.unwrap();
    assert_eq!(down.status(), 503);
    assert!(down.text().await.unwrap().contains("not running"));
    app.stop().await.unwrap();
}

/// With the original identify unit (which answers only on `modt/session/info`), on Mosquitto
/// as users run it: the page resolves the visitor the legacy way.
#[tokio::test]
async fn resolves_visitors_with_the_original_identify_unit() {
    modt_testkit::init_tracing();
    let Some(broker) = TestBroker::mosquitto_stock() else {
        return;
    };
    let original =
        modt_testkit::legacy::LegacyStandIn::start(&broker, &[("sess-o", "user-o", "user")]).await;
    let (app, url, unit_id) = start_app(&broker, DummyConfig::default()).await;
    let client = Client::connect(broker.client_config("t", MqttVersion::V5))
        .await
        .unwrap();
    wait_online(&client, &unit_id).await;

    let page = get(&format!("{url}/"), Some("sess-o"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("user-o"), "{html}");
    let expired = get(&format!("{url}/"), Some("unknown"))
        .send()
        .await
        .unwrap();
    assert!(expired
        .text()
        .await
        .unwrap()
        .contains("Your session has ended"));

    original.stop().await;
    app.stop().await.unwrap();
}
