//! The toolkit on a real server (ephemeral port, embedded broker, a stand-in for the original
//! identify unit answering session queries):
//! - the extractors: `Lang`, `Visitor`, `RequireUser` (the login with `next=` for pages, 401
//!   JSON for API calls), `RequireAdmin` (403), a silent identify unit (503 page or JSON);
//! - the fan-out: a subscription pushed to server-sent event clients, a client past the limit
//!   refused with 503, every stream ended at shutdown.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use axum::extract::{FromRef, State};
use axum::response::sse::Event;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use modt::directory::WebUnits;
use modt::{Asker, Client, Directory, MqttVersion, QoS, Topic, TopicFilter};
use modt_testkit::legacy::LegacyStandIn;
use modt_testkit::{client_id, TestBroker};
use modt_web::push::{self, Delivery, Fanout, FanoutConfig};
use modt_web::{ApiError, Gatekeeper, Lang, RequireAdmin, RequireUser, Visitor};
use reqwest::redirect::Policy;
use tokio_util::sync::CancellationToken;

const WAIT: Duration = Duration::from_secs(10);

#[derive(Clone)]
struct AppState {
    gate: Gatekeeper,
    live: Fanout<String>,
    shutdown: CancellationToken,
}

impl FromRef<AppState> for Gatekeeper {
    fn from_ref(s: &AppState) -> Gatekeeper {
        s.gate.clone()
    }
}

async fn whoami(lang: Lang, visitor: Visitor) -> String {
    match visitor {
        Visitor::User(u) => format!("{} {} {}", lang.code(), u.user_id, u.role),
        other => format!("{} {other:?}", lang.code()),
    }
}

async fn me(RequireUser(user): RequireUser) -> String {
    user.user_id
}

async fn admin(RequireAdmin(user): RequireAdmin) -> String {
    format!("admin {}", user.user_id)
}

async fn live(State(s): State<AppState>) -> Response {
    let rx = match s.live.subscribe(|_| true) {
        Ok(rx) => rx,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let events = futures::stream::unfold(rx, |mut rx| async move {
        let event = match rx.recv().await? {
            Delivery::Item(text) => Event::default().event("msg").data(text),
            Delivery::Skipped(n) => Event::default().event("skipped").data(n.to_string()),
        };
        Some((event, rx))
    });
    push::sse::stream(events, s.shutdown.clone())
}

struct Server {
    url: String,
    client: Client,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<()>,
}

/// A server whose login page is `http://id.example/login`, with a fan-out of `test/#` to at
/// most one client.
async fn start(broker: &TestBroker) -> Server {
    let cfg = broker.client_config(&client_id("web"), MqttVersion::V5);
    let client = Client::connect(cfg).await.unwrap();
    let listener = modt_web::serve::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let directory = Directory::trusting(WebUnits::Any);
    let gate = Gatekeeper::new(
        Asker::new(client.clone(), directory.clone()),
        directory,
        &url,
    )
    .identify_url(Some("http://id.example".into()))
    .timeout(Duration::from_millis(700));
    let shutdown = CancellationToken::new();
    let fanout = Fanout::new(FanoutConfig {
        per_client: 8,
        max_clients: 1,
    });
    let sub = client
        .subscribe(&TopicFilter::new("test/#").unwrap(), QoS::AtLeastOnce)
        .await
        .unwrap();
    let pumping = tokio::spawn(fanout.clone().pump(sub, shutdown.clone(), |f, msg| {
        f.send(&String::from_utf8_lossy(&msg.payload).into_owned());
    }));
    let state = AppState {
        gate,
        live: fanout,
        shutdown: shutdown.clone(),
    };
    let router = Router::new()
        .route("/", get(whoami))
        .route("/me", get(me))
        .route("/admin", get(admin))
        .route("/live", get(live))
        .with_state(state);
    let stop = shutdown.clone();
    let task = tokio::spawn(async move {
        modt_web::serve::serve(listener, router, stop)
            .await
            .unwrap();
        pumping.await.unwrap();
    });
    Server {
        url,
        client,
        shutdown,
        task,
    }
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap()
}

async fn fetch(url: &str, session: Option<&str>, accept: Option<&str>) -> reqwest::Response {
    let mut req = http().get(url);
    if let Some(s) = session {
        req = req.header("cookie", format!("modt_session_id={s}"));
    }
    if let Some(a) = accept {
        req = req.header("accept", a);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn extractors_answer_pages_and_api_calls() {
    let broker = TestBroker::embedded();
    let identify = LegacyStandIn::start(
        &broker,
        &[("s-user", "u1", "user"), ("s-admin", "a1", "admin")],
    )
    .await;
    let server = start(&broker).await;
    let url = &server.url;

    let anon = fetch(&format!("{url}/?lang=ja"), None, None).await;
    assert_eq!(anon.text().await.unwrap(), "ja Anonymous");
    let user = fetch(&format!("{url}/"), Some("s-user"), None).await;
    assert_eq!(user.text().await.unwrap(), "en u1 user");

    // RequireUser: a page sends a stranger to the login, which comes back here.
    let page = fetch(&format!("{url}/me?x=1"), None, Some("text/html")).await;
    assert_eq!(page.status(), 303);
    let back = format!("{url}/me?x=1");
    let login = format!(
        "http://id.example/login?next={}",
        url::form_urlencoded::byte_serialize(back.as_bytes()).collect::<String>()
    );
    assert_eq!(page.headers()["location"], login.as_str());
    let ended = fetch(&format!("{url}/me"), Some("gone"), None).await;
    assert!(ended.headers()["location"]
        .to_str()
        .unwrap()
        .ends_with("&expired=1"));
    // …and an API call gets 401 JSON.
    let api = fetch(&format!("{url}/me"), None, Some("application/json")).await;
    assert_eq!(api.status(), 401);
    let body: serde_json::Value = api.json().await.unwrap();
    assert_eq!(body["status"], "error");
    assert_eq!(body["error"]["code"], "unauthorized");
    let me = fetch(&format!("{url}/me"), Some("s-user"), None).await;
    assert_eq!(me.text().await.unwrap(), "u1");

    // RequireAdmin.
    let refused = fetch(&format!("{url}/admin"), Some("s-user"), None).await;
    assert_eq!(refused.status(), 403);
    let ok = fetch(&format!("{url}/admin"), Some("s-admin"), None).await;
    assert_eq!(ok.text().await.unwrap(), "admin a1");

    // The identify unit goes away: 503, after the timeout, never a hang.
    identify.stop().await;
    let down = fetch(&format!("{url}/me"), Some("s-user"), None).await;
    assert_eq!(down.status(), 503);
    let down = fetch(
        &format!("{url}/me"),
        Some("s-user"),
        Some("application/json"),
    )
    .await;
    assert_eq!(down.status(), 503);
    let body: serde_json::Value = down.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unavailable");

    server.shutdown.cancel();
    tokio::time::timeout(WAIT, server.task)
        .await
        .unwrap()
        .unwrap();
}

/// Reads the event stream until `needle` appears.
async fn read_until(res: &mut reqwest::Response, seen: &mut String, needle: &str) {
    tokio::time::timeout(WAIT, async {
        while !seen.contains(needle) {
            let chunk = res.chunk().await.unwrap().expect("the stream goes on");
            seen.push_str(&String::from_utf8_lossy(&chunk));
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no {needle:?} in {seen:?}"));
}

#[tokio::test]
async fn a_subscription_is_pushed_to_a_bounded_number_of_clients_until_shutdown() {
    let broker = TestBroker::embedded();
    let server = start(&broker).await;
    let url = &server.url;

    let mut first = fetch(&format!("{url}/live"), None, Some("text/event-stream")).await;
    assert_eq!(first.headers()["content-type"], "text/event-stream");
    let second = fetch(&format!("{url}/live"), None, Some("text/event-stream")).await;
    assert_eq!(second.status(), 503, "the limit is one client");
    let body: serde_json::Value = second.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unavailable");

    // The client is subscribed before the response starts: what is published now arrives.
    let topic = Topic::new("test/a").unwrap();
    server.client.publish_json(&topic, "hello").await.unwrap();
    let mut seen = String::new();
    read_until(&mut first, &mut seen, "data: \"hello\"").await;
    assert!(seen.contains("event: msg"), "{seen}");

    // Shutdown ends the stream (and the server waits for nothing).
    server.shutdown.cancel();
    let rest = tokio::time::timeout(WAIT, async {
        while let Ok(Some(_)) = first.chunk().await {}
    })
    .await;
    assert!(rest.is_ok(), "the event stream ended at shutdown");
    tokio::time::timeout(WAIT, server.task)
        .await
        .unwrap()
        .unwrap();
}
