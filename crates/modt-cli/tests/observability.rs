//! Metrics and traces of the real binary: `modt unit echo --metrics-addr` serves the process's
//! Prometheus series for a unit without a web side, and a JSON log line written while a
//! message is handled names the request's id and trace id (from `x-request-id` and
//! `traceparent`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use modt::trace::{REQUEST_ID_HEADER, TRACEPARENT};
use modt::{MqttVersion, Outgoing, QoS, RequestOptions};
use modt_testkit::TestBroker;
use serde_json::{json, Value};

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

async fn handled(url: &str, unit_id: &str) -> Option<f64> {
    let text = reqwest::get(url).await.ok()?.text().await.ok()?;
    let series = format!("modt_unit_handled_total{{unit=\"{unit_id}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&series))
        .and_then(|v| v.parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_unit_without_web_side_is_scraped_and_logs_its_trace() {
    let broker = TestBroker::embedded();
    let p = broker.port().to_string();
    let unit_id = modt_testkit::client_id("echo-obs");
    let metrics_port = support::free_port();
    let metrics_addr = format!("127.0.0.1:{metrics_port}");
    let mut unit = support::spawn(&[
        "--log-format",
        "json",
        "unit",
        "echo",
        "--unit-id",
        &unit_id,
        "--broker-port",
        &p,
        "--metrics-addr",
        &metrics_addr,
    ]);
    let client = modt::Client::connect(broker.client_config("obs", MqttVersion::V5))
        .await
        .unwrap();
    modt_testkit::wait_online(&client, &unit_id).await;

    // One answered request, and one refused (an array, not an object) that carries a trace.
    client
        .request(
            &modt::protocol::topics::ECHO,
            &json!({"n": 1}),
            RequestOptions::new(),
        )
        .await
        .unwrap();
    let mut refused =
        Outgoing::new(modt::protocol::topics::ECHO.clone(), "[1]").qos(QoS::AtLeastOnce);
    refused.response_topic = Some(format!("{}/refused", client.reply_root()));
    refused.correlation_data = Some("corr-1".into());
    refused.user_properties = vec![
        (
            TRACEPARENT.into(),
            format!("00-{TRACE_ID}-00f067aa0ba902b7-01"),
        ),
        (REQUEST_ID_HEADER.into(), "req-obs-1".into()),
    ];
    client.publish(refused).await.unwrap();

    let url = format!("http://{metrics_addr}/metrics");
    modt_testkit::wait_until(Duration::from_secs(10), "two handlings scraped", || async {
        handled(&url, &unit_id).await == Some(2.0)
    })
    .await;

    unit.signal("TERM");
    assert!(unit.wait_exit(15).success());
    let (stdout, stderr) = unit.output();
    assert!(stdout.contains(&format!("metrics at {url}")), "{stdout}");
    let line = stderr
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|l| l["message"] == "message refused")
        .unwrap_or_else(|| panic!("no 'message refused' line in {stderr}"));
    assert_eq!(line["span"]["trace_id"], TRACE_ID, "{line}");
    assert_eq!(line["span"]["request_id"], "req-obs-1", "{line}");
    assert_eq!(line["span"]["unit"], unit_id.as_str(), "{line}");
    assert_eq!(line["request_id"], "req-obs-1", "{line}");
    client.shutdown().await;
}

#[test]
fn a_taken_metrics_address_is_named_at_start() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let out = support::run_in(
        Some(dir.path()),
        &[
            "unit",
            "echo",
            "--broker-port",
            "1",
            "--metrics-addr",
            &addr,
        ],
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--metrics-addr / MODT_METRICS_ADDR") && stderr.contains(&addr),
        "{stderr}"
    );
}
