//! Calls through the gateway to a unit on a real embedded broker, over real HTTP: what the
//! unit gets (the one mapping of docs/protocol.md §7) and how each outcome is answered.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::{Duration, Instant};

use modt::protocol::Role;
use serde_json::{json, Value};
use support::Harness;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_reaches_the_unit_with_the_verified_caller_and_its_ids() {
    let h = Harness::start().await;
    let token = h.token("u-ann", Role::User);
    let tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let res = h
        .post("/echo?a=1&a=2&b=x%20y")
        .bearer_auth(&token)
        .header("x-request-id", "req-abc.1")
        .header("traceparent", tp)
        .header("if-match", "\"3\"")
        .header("x-user-id", "u-admin")
        .header("x-caller", "{\"role\":\"admin\"}")
        .json(&json!({"title": "milk"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // The gateway's own id, never the client's (a unit remembers writes by request id).
    let id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert!(id != "req-abc.1" && id.len() == 32, "{id}");
    assert_eq!(res.headers()["etag"], "\"7\"");
    assert!(
        res.headers().get("x-internal").is_none(),
        "only listed reply headers pass"
    );
    let seen: Value = res.json().await.unwrap();
    let req = &seen["request"];
    assert_eq!(req["method"], "POST");
    assert_eq!(req["route"], "/echo");
    assert_eq!(req["query"], json!({"a": "2", "b": "x y"}));
    assert_eq!(req["headers"], json!({"if-match": "\"3\""}));
    assert_eq!(req["body"], json!({"title": "milk"}));
    assert_eq!(
        req["caller"],
        json!({"user_id": "u-ann", "username": "u-ann-name", "role": "user"})
    );
    assert_eq!(req["client_addr"], "127.0.0.1");
    assert_eq!(seen["request_id"], id.as_str(), "the MQTT request id");
    assert_eq!(seen["x_request_id"], id.as_str());
    let forwarded = seen["traceparent"].as_str().unwrap();
    assert!(
        forwarded.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-") && forwarded != tp,
        "same trace, the gateway's own span: {forwarded}"
    );

    let res = h.get("/echo/42").bearer_auth(&token).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    let seen: Value = res.json().await.unwrap();
    assert_eq!(seen["request"]["params"], json!({"id": "42"}));
    assert!(seen["request"].get("body").is_none());
    assert_eq!(seen["request_id"], id.as_str(), "the id the response names");
    let tp = seen["traceparent"].as_str().unwrap();
    assert_eq!(tp.len(), 55, "a new trace: {tp}");
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_outcome_has_its_status() {
    let mut h = Harness::start().await;

    // No reply within the route's 300 ms: 504, not a hang.
    let started = Instant::now();
    let res = h.get("/slow").send().await.unwrap();
    assert_eq!(res.status(), 504);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "timeout");

    // A unit that never announced itself: 503 with Retry-After, nothing sent.
    let res = h.get("/ghost").send().await.unwrap();
    assert_eq!(res.status(), 503);
    assert!(res.headers().contains_key("retry-after"));

    // The unit's error reply keeps its code; field details pass through.
    let res = h.get("/fail").send().await.unwrap();
    assert_eq!(res.status(), 409);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "conflict");
    assert_eq!(body["error"]["message"], "it changed meanwhile");
    let res = h.post("/invalid").json(&json!({})).send().await.unwrap();
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["details"][0]["field"], "title");

    // Unknown route, wrong method: JSON bodies.
    let res = h.get("/nope").send().await.unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"]["code"],
        "not_found"
    );
    let res = h
        .http
        .delete(format!("{}/open", h.url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 405);
    assert_eq!(res.headers()["allow"], "GET");

    // Body over the route's 1 KiB, and a body that is not JSON.
    let token = h.token("u-ann", Role::User);
    let big = json!({"title": "x".repeat(2000)});
    let res = h
        .post("/echo")
        .bearer_auth(&token)
        .json(&big)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"]["code"],
        "too_large"
    );
    let res = h
        .post("/echo")
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);

    // Rate limit: burst 2 (refilled at 1/s), then 429 with Retry-After. A slow machine may
    // see a refill between calls, so a few more tries are allowed before the 429.
    for _ in 0..2 {
        assert_eq!(h.get("/limited").send().await.unwrap().status(), 200);
    }
    let mut limited = None;
    for _ in 0..10 {
        let res = h.get("/limited").send().await.unwrap();
        if res.status() == 429 {
            limited = Some(res);
            break;
        }
    }
    let res = limited.expect("a 429 within 10 calls over the burst");
    assert!(
        res.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"]["code"],
        "too_many_requests"
    );

    // The unit stops: presence says so, and the gateway answers 503 without sending.
    h.stop_tester().await;
    let (http, url) = (h.http.clone(), h.url.clone());
    modt_testkit::wait_until(Duration::from_secs(10), "readyz to miss the tester", || {
        let (http, url) = (http.clone(), url.clone());
        async move {
            let Ok(res) = http.get(format!("{url}/readyz")).send().await else {
                return false;
            };
            let body: Value = res.json().await.unwrap_or_default();
            body["missing_units"] == json!(["ghost", "tester"])
        }
    })
    .await;
    let started = Instant::now();
    let res = h.get("/open").send().await.unwrap();
    assert_eq!(res.status(), 503);
    assert!(res.headers().contains_key("retry-after"));
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_preflights_allow_only_trusted_origins() {
    let h = Harness::start().await;
    let preflight = |origin: &str| {
        h.http
            .request(reqwest::Method::OPTIONS, format!("{}/echo", h.url))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization, content-type",
            )
    };
    let res = preflight(support::APP_ORIGIN).send().await.unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    assert_eq!(
        res.headers()["access-control-allow-origin"],
        support::APP_ORIGIN
    );
    assert_eq!(res.headers()["access-control-allow-credentials"], "true");
    let methods = res.headers()["access-control-allow-methods"]
        .to_str()
        .unwrap();
    assert!(
        methods.contains("POST") && methods.contains("PATCH"),
        "{methods}"
    );
    let res = preflight("http://evil.example").send().await.unwrap();
    assert!(res.headers().get("access-control-allow-origin").is_none());
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateways_own_endpoints_answer() {
    let h = Harness::start().await;
    assert_eq!(h.get("/healthz").send().await.unwrap().status(), 200);
    let res = h.get("/readyz").send().await.unwrap();
    assert_eq!(res.status(), 503, "ghost never comes");
    assert_eq!(
        res.json::<Value>().await.unwrap()["missing_units"],
        json!(["ghost"])
    );
    let doc: Value = h
        .get("/openapi.json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["paths"]["/echo/{id}"]["get"].is_object());
    let page = h.get("/docs").send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("/docs/docs.js") && !html.contains("https://"),
        "no CDN"
    );
    assert_eq!(h.get("/docs/docs.js").send().await.unwrap().status(), 200);
    // The header's "API gateway" link opens the gateway's address: its documentation, not a 404.
    let home = h.get("/").send().await.unwrap();
    assert_eq!((home.status().as_u16(), home.url().path()), (200, "/docs"));
    assert_eq!(
        h.post("/").send().await.unwrap().status(),
        404,
        "only a GET"
    );
    let jwks: Value = h
        .get("/.well-known/jwks.json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jwks["keys"][0]["kid"], "key-1");
    h.stop().await;
}

/// `/metrics` on the gateway's listener by default; `--gateway-metrics-public false` takes it
/// off (the path then goes through the route table like any other: no such route).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_metrics_can_be_switched_off() {
    modt_testkit::init_tracing();
    let broker = modt_testkit::TestBroker::embedded();
    let dir = tempfile::tempdir().unwrap();
    let http = reqwest::Client::new();
    for public in [true, false] {
        let args = modt_gateway::Args {
            metrics_public: public,
            ..Default::default()
        };
        let (gateway, url) = support::start_gateway_with(&broker, &dir, args).await;
        // A request first, so that there is a series to show.
        let healthz = http.get(format!("{url}/healthz")).send().await.unwrap();
        assert_eq!(healthz.status(), 200);
        let res = http.get(format!("{url}/metrics")).send().await.unwrap();
        let status = res.status().as_u16();
        let body = res.text().await.unwrap();
        if public {
            assert_eq!(status, 200, "{body}");
            assert!(body.contains("modt_http_requests_total"), "{body}");
        } else {
            assert_eq!(status, 404, "{body}");
            assert!(!body.contains("modt_http_requests_total"), "{body}");
        }
        gateway.stop().await.unwrap();
    }
}
