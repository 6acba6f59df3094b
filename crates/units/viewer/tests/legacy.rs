//! The viewer with the original units (a legacy stand-in for identify and the db-unit) on
//! Mosquitto as users run it: visitors are resolved from the `modt/session/info` broadcast,
//! keys read from `modt/state/all/value`, and writes, which the original never acknowledges,
//! confirmed by reading them back. Also the original's `/view-data?session_id=…` link.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use modt::{Client, MqttVersion};
use modt_testkit::legacy::LegacyStandIn;
use modt_testkit::{client_id, wait_online, BrokerKind, RunningUnit, TestBroker};
use modt_viewer::ViewerConfig;
use support::Browser;

struct Viewer {
    url: String,
    _unit: RunningUnit,
}

async fn viewer(broker: &TestBroker) -> Viewer {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    let id = client_id("viewer");
    // The original identify announces no web address: point at its login page, as a user
    // of a mixed fleet does with --identify-url.
    let config = ViewerConfig {
        timeout: Duration::from_secs(2),
        identify_url: Some("http://127.0.0.1:9".into()),
        ..Default::default()
    };
    let unit = RunningUnit::start(
        modt_viewer::unit(config, l).unwrap().unit_id(&id),
        broker.client_config("viewer", MqttVersion::V5),
    );
    let client = Client::connect(broker.client_config("t", MqttVersion::V5))
        .await
        .unwrap();
    wait_online(&client, &id).await;
    client.shutdown().await;
    Viewer { url, _unit: unit }
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Posts `fields` with the page's CSRF token, for the visitor's own keys.
async fn post(b: &Browser, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
    let token = b.csrf().await;
    let mut form: Vec<(&str, &str)> = vec![("csrf_token", &token), ("user", "")];
    form.extend_from_slice(fields);
    let (status, location, _) = b.post(path, &form).await;
    (status, location)
}

async fn keys_with_the_original(kind: BrokerKind) {
    modt_testkit::init_tracing();
    let Some(broker) = TestBroker::start(kind) else {
        return;
    };
    let original = LegacyStandIn::start(&broker, &[("sess-a", "user-a", "user")]).await;
    let v = viewer(&broker).await;

    let b = Browser::with_session(&v.url, "sess-a");
    let (status, html) = b.get("/").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("No keys yet"), "{html}");

    let set = post(&b, "/set", &[("key", "dark"), ("value", "true")]).await;
    assert_eq!(
        set,
        (303, "/?saved=dark".to_string()),
        "set confirmed by reading back"
    );
    post(&b, "/set", &[("key", "size"), ("value", "5")]).await;
    let (_, html) = b.get("/").await;
    // The original stores str(value): `true` reads back as the text "True".
    assert!(html.contains("&quot;True&quot;"), "{html}");
    assert!(html.contains("data-key=\"size\""), "{html}");

    let (status, _) = post(&b, "/delete", &[("key", "size")]).await;
    assert_eq!(status, 303);
    let (_, html) = b.get("/").await;
    assert!(!html.contains("data-key=\"size\""), "{html}");
    assert!(html.contains("data-key=\"dark\""), "{html}");

    // A session the original does not know: the login page, not the keys.
    let (status, _) = Browser::with_session(&v.url, "sess-unknown").get("/").await;
    assert_eq!(status, 401);
    original.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_with_the_original_units_on_untuned_mosquitto() {
    keys_with_the_original(BrokerKind::MosquittoStock).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_with_the_original_units_on_the_embedded_broker() {
    keys_with_the_original(BrokerKind::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_original_view_data_link_moves_the_session_into_the_cookie() {
    modt_testkit::init_tracing();
    let broker = TestBroker::embedded();
    let original = LegacyStandIn::start(&broker, &[("sess-b", "user-b", "user")]).await;
    let v = viewer(&broker).await;
    let link = format!("{}/view-data?session_id=sess-b", v.url);

    let res = http().get(&link).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(res.headers()["location"], "/");
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("modt_session_id=sess-b;"), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");

    // From another site, or for a session nobody vouches for: no cookie, just the page.
    let cross = http()
        .get(&link)
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status().as_u16(), 303);
    assert!(cross.headers().get("set-cookie").is_none());
    let unknown = http()
        .get(format!("{}/view-data?session_id=forged", v.url))
        .send()
        .await
        .unwrap();
    assert!(unknown.headers().get("set-cookie").is_none());
    // A browser that has a session keeps it.
    let kept = http()
        .get(&link)
        .header("cookie", "modt_session_id=mine")
        .send()
        .await
        .unwrap();
    assert!(kept.headers().get("set-cookie").is_none());
    original.stop().await;
}
