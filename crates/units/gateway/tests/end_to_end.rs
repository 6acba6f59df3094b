//! The shipped units behind the gateway, as a client sees them: identify's token routes and
//! the todo unit's API with the built-in route table, on a real broker over real HTTP.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use clap::Parser;
use modt::unit::Setup;
use modt::MqttVersion;
use modt_testkit::{RunningUnit, TestBroker};
use serde_json::{json, Value};

#[derive(Parser)]
struct IdentifyFlags {
    #[command(flatten)]
    args: modt_identify::Args,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_then_work_on_todos_through_the_gateway() {
    modt_testkit::init_tracing();
    let broker = TestBroker::embedded();
    let dir = tempfile::tempdir().unwrap();
    let mut setup = Setup::new(dir.path());
    setup.web.http_addr = Some("127.0.0.1:0".into());
    let identify_args = IdentifyFlags::parse_from(["identify", "--registration", "true"]).args;
    let identify = modt_identify::build(identify_args, &setup).await.unwrap();
    let todo = modt_todo::build(modt_todo::Args::default(), &setup)
        .await
        .unwrap();
    let gateway = modt_gateway::build(modt_gateway::Args::default(), &setup)
        .await
        .unwrap();
    let url = gateway.web_address().unwrap().to_owned();
    let running: Vec<RunningUnit> = [("identify", identify), ("todo", todo), ("gateway", gateway)]
        .into_iter()
        .map(|(name, unit)| RunningUnit::start(unit, broker.client_config(name, MqttVersion::V5)))
        .collect();
    let http = reqwest::Client::new();
    // The built-in route table also routes to ingest, which this test does not run: the
    // gateway is ready for everything else once /readyz names ingest alone as missing.
    let ready = |http: reqwest::Client, url: String| async move {
        let Ok(res) = http.get(format!("{url}/readyz")).send().await else {
            return false;
        };
        let Ok(health) = res.json::<serde_json::Value>().await else {
            return false;
        };
        health["broker_connected"] == true && health["missing_units"] == json!(["ingest"])
    };
    modt_testkit::wait_until(Duration::from_secs(20), "identify and todo online", || {
        ready(http.clone(), url.clone())
    })
    .await;

    // Register: identify answers through the gateway with a token pair.
    let creds = json!({"username": "ann", "password": "correct horse battery"});
    let pair = wait_for_pair(&http, &url, &creds).await;
    let token = pair["access_token"].as_str().unwrap().to_owned();
    assert_eq!(pair["token_type"], "Bearer");

    // Create, read, change with If-Match, refuse a stale one, delete.
    let res = http
        .post(format!("{url}/todos"))
        .bearer_auth(&token)
        .json(&json!({"title": "milk"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers()["etag"], "\"1\"");
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let created: Value = res.json().await.unwrap();
    assert_eq!(
        location,
        format!("/todos/{}", created["id"].as_str().unwrap())
    );
    let res = http
        .get(format!("{url}{location}"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["title"], "milk");
    let res = http
        .patch(format!("{url}{location}"))
        .bearer_auth(&token)
        .header("if-match", "\"1\"")
        .json(&json!({"done": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["etag"], "\"2\"");
    let res = http
        .patch(format!("{url}{location}"))
        .bearer_auth(&token)
        .header("if-match", "\"1\"")
        .json(&json!({"done": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 412);
    let res = http
        .post(format!("{url}/todos"))
        .bearer_auth(&token)
        .json(&json!({"title": ""}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["details"][0]["field"], "/title");
    let list: Value = http
        .get(format!("{url}/todos?limit=10"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let res = http
        .delete(format!("{url}{location}"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);

    // Log in again and refresh: the new tokens work; logout-all needs a login.
    let res = http
        .post(format!("{url}/auth/login"))
        .json(&creds)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let login: Value = res.json().await.unwrap();
    let res = http
        .post(format!("{url}/auth/refresh"))
        .json(&json!({"refresh_token": login["refresh_token"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let refreshed: Value = res.json().await.unwrap();
    let res = http
        .get(format!("{url}/todos"))
        .bearer_auth(refreshed["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = http
        .post(format!("{url}/auth/logout-all"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let res = http
        .post(format!("{url}/auth/logout-all"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);

    for unit in running.into_iter().rev() {
        unit.stop().await.unwrap();
    }
}

/// Registers `creds` once identify's keys reached the gateway (its first JWK Set is published
/// as it starts).
async fn wait_for_pair(http: &reqwest::Client, url: &str, creds: &Value) -> Value {
    let res = http
        .post(format!("{url}/auth/register"))
        .json(creds)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "{:?}", res.text().await);
    let pair: Value = res.json().await.unwrap();
    let token = pair["access_token"].as_str().unwrap().to_owned();
    modt_testkit::wait_until(
        Duration::from_secs(10),
        "the gateway to know identify's key",
        || {
            let (http, url, token) = (http.clone(), url.to_owned(), token.clone());
            async move {
                http.get(format!("{url}/todos"))
                    .bearer_auth(token)
                    .send()
                    .await
                    .is_ok_and(|r| r.status() == 200)
            }
        },
    )
    .await;
    pair
}
