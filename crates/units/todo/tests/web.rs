//! The todo unit's web side, on ephemeral ports with a real identify unit: the page for a
//! logged-in visitor (the gateway's URL in it, and in its CSP's `connect-src`), the refusal
//! for a signed-out one, and the live stream of the visitor's own changes only.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt as _;
use modt::protocol::{topics, Todo};
use modt::{Client, MqttVersion, Unit};
use modt_identify::store::IdentityStore;
use modt_identify::{IdentifyConfig, Role};
use modt_testkit::{client_id, wait_online, wait_until, RunningUnit, TestBroker};
use modt_todo::store::{SqliteTodoStore, TodoStore};
use modt_todo::TodoConfig;
use serde_json::json;
use support::{body, call, request, user, with_body};

#[path = "../../identify/tests/support/identify.rs"]
mod identify;

const WAIT: Duration = Duration::from_secs(10);

struct System {
    _broker: TestBroker,
    _dir: tempfile::TempDir,
    _units: Vec<RunningUnit>,
    identify_url: String,
    url: String,
    accounts: Arc<dyn IdentityStore>,
    client: Client,
}

async fn system(gateway_url: Option<&str>) -> System {
    modt_testkit::init_tracing();
    let broker = TestBroker::embedded();
    let dir = tempfile::tempdir().unwrap();
    let client = Client::connect(broker.client_config("t", MqttVersion::V5))
        .await
        .unwrap();
    let id = identify::start_identify(
        &broker,
        &dir.path().join("id.db"),
        IdentifyConfig::default(),
        modt::directory::WebUnits::Any,
    )
    .await;
    let store: Arc<dyn TodoStore> =
        Arc::new(SqliteTodoStore::open(dir.path().join("todo.db"), 64).unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let config = TodoConfig {
        gateway_url: gateway_url.map(Into::into),
        timeout: Duration::from_secs(2),
        ..TodoConfig::default()
    };
    let todo_id = client_id("todo");
    let todo = modt_todo::unit(store, config, Some(listener))
        .unwrap()
        .unit_id(&todo_id);
    let todo = RunningUnit::start(todo, broker.client_config("todo", MqttVersion::V5));
    wait_online(&client, &id.unit_id).await;
    wait_online(&client, &todo_id).await;
    System {
        _broker: broker,
        _dir: dir,
        _units: vec![id.unit, todo],
        identify_url: id.url,
        url,
        accounts: id.store,
        client,
    }
}

/// A browser (cookie jar, no redirects) logged in as a new user; and the user's id.
async fn login(sys: &System, name: &str) -> (reqwest::Client, String) {
    let hash = modt_identify::password::hash("long-enough".into())
        .await
        .unwrap();
    let user = sys
        .accounts
        .create_user(name, &hash, Role::User)
        .await
        .unwrap();
    let res = reqwest::Client::new()
        .post(format!("{}/api/login", sys.identify_url))
        .header("content-type", "application/json")
        .body(json!({"username": name, "password": "long-enough"}).to_string())
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = serde_json::from_str(&res.text().await.unwrap()).unwrap();
    let sid = body["session_id"].as_str().unwrap();
    let jar = Arc::new(reqwest::cookie::Jar::default());
    jar.add_cookie_str(&format!("modt_session_id={sid}"), &sys.url.parse().unwrap());
    let http = reqwest::Client::builder()
        .cookie_provider(jar)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    (http, user.user_id)
}

/// The page's `data-api` attribute, as the browser reads it (minijinja escapes `/`).
fn api_of(html: &str) -> String {
    let start = html.find("data-api=\"").unwrap() + 10;
    let end = html[start..].find('"').unwrap() + start;
    html[start..end].replace("&#x2f;", "/")
}

#[tokio::test]
async fn the_page_calls_the_configured_gateway_and_may_connect_only_there() {
    let sys = system(Some("http://127.0.0.1:18084/")).await;
    let (browser, _) = login(&sys, "ann").await;
    let res = browser.get(format!("{}/", sys.url)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("connect-src 'self' http://127.0.0.1:18084;"),
        "{csp}"
    );
    assert!(
        csp.contains("script-src 'self';"),
        "the rest of the policy stays: {csp}"
    );
    let html = res.text().await.unwrap();
    assert_eq!(api_of(&html), "http://127.0.0.1:18084");
    assert!(
        html.contains("data-t-edit=\"Edit\""),
        "texts for the script"
    );
    assert!(!html.contains("data-testid=\"no-gateway\""));

    // Japanese when the browser asks for it.
    let ja = browser
        .get(format!("{}/", sys.url))
        .header("accept-language", "ja")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(ja.contains("あなたのTODO"), "{ja}");

    // Signed out: the way to log in, not the page; the stream refuses too.
    let anonymous = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = anonymous.get(format!("{}/", sys.url)).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.text().await.unwrap().contains("data-testid=\"login\""));
    let res = anonymous
        .get(format!("{}/events", sys.url))
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn the_gateway_is_found_through_presence() {
    let sys = system(None).await;
    let (browser, _) = login(&sys, "ann").await;
    let page = || async {
        browser
            .get(format!("{}/", sys.url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    assert!(
        page().await.contains("data-testid=\"no-gateway\""),
        "no gateway yet"
    );
    let gateway = Unit::new("gateway", "gateway", "1").http_url("http://127.0.0.1:18099");
    let _gateway = RunningUnit::start(
        gateway,
        sys._broker.client_config("gateway", MqttVersion::V5),
    );
    wait_until(WAIT, "the page to name the gateway", || async {
        api_of(&page().await) == "http://127.0.0.1:18099"
    })
    .await;
}

#[tokio::test]
async fn the_stream_brings_the_visitors_changes_and_no_one_elses() {
    let sys = system(Some("http://127.0.0.1:18084")).await;
    let (browser, ann) = login(&sys, "ann").await;
    let res = browser
        .get(format!("{}/events", sys.url))
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let mut events = res.bytes_stream();

    // Bob's change first, then ann's: ann's stream holds only hers.
    let bobs: Todo = body(
        &call(
            &sys.client,
            &topics::TODO_CREATE,
            &with_body(
                request("POST", "/todos", Some(&user("bob"))),
                json!({ "title": "bob's" }),
            ),
        )
        .await
        .unwrap(),
    );
    // The page follows changes from the moment its stream answered (200 above).
    let anns: Todo = body(
        &call(
            &sys.client,
            &topics::TODO_CREATE,
            &with_body(
                request("POST", "/todos", Some(&user(&ann))),
                json!({ "title": "ann's" }),
            ),
        )
        .await
        .unwrap(),
    );
    let mut seen = String::new();
    while !seen.contains(&anns.id) {
        let chunk = tokio::time::timeout(WAIT, events.next())
            .await
            .unwrap_or_else(|_| panic!("no change in {seen}"))
            .unwrap()
            .unwrap();
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(seen.contains("event: change"), "{seen}");
    assert!(seen.contains(&format!("\"user_id\":\"{ann}\"")), "{seen}");
    assert!(seen.contains("\"op\":\"created\""), "{seen}");
    assert!(
        !seen.contains(&bobs.id),
        "bob's change is not on ann's stream: {seen}"
    );
}
