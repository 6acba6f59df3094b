//! The devices page in a real headless Chromium (`e2e/ingest.mjs`, playwright-core), on a
//! whole system in this process: the embedded broker, identify, the API gateway and the
//! ingest unit (SQLite in a temp dir) whose demo connection reads device messages from the
//! same broker, which this test publishes to while the page is open. Screenshots land in
//! `target/e2e-screenshots/ingest/`. Skipped (saying why) without Chromium, node or
//! `e2e/node_modules`, unless `MODT_REQUIRE_BROWSER=1`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use modt::protocol::ingest::{ConnectionState, ConnectionStatus};
use modt::protocol::topics;
use modt::{Client, MqttVersion, Outgoing, QoS, Topic};
use modt_identify::Role;
use modt_testkit::{browser, wait_online, RunningUnit, TestBroker};
use serde_json::json;
use tokio_util::sync::CancellationToken;

#[path = "../../identify/tests/support/identify.rs"]
mod identify;

const PASSWORD: &str = "a long devices password";
const SITE: &str = "milano";
const GATEWAY: &str = "1";
const SERIAL: &str = "TX40-0001";
/// A topic under the demo connection's filter that no parser knows.
const UNKNOWN: &str = "milano/gateway/1/heartbeat";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_values_start_and_stop_and_the_parse_log_in_chromium() {
    if !browser::available("the devices page browser test") {
        return;
    }
    modt_testkit::init_tracing();
    let broker = TestBroker::embedded();
    let dir = tempfile::tempdir().unwrap();
    let (id, setup) = identify::start_for_web(&broker, dir.path()).await;
    identify::add_user(&id.store, "ada", PASSWORD, Role::Admin).await;
    identify::add_user(&id.store, "uma", PASSWORD, Role::User).await;
    let gateway = modt_gateway::build(modt_gateway::Args::default(), &setup)
        .await
        .unwrap();
    let args = modt_ingest::Args {
        demo_broker: Some(format!("127.0.0.1:{}", broker.port())),
        ..modt_ingest::Args::default()
    };
    let ingest = modt_ingest::build(args, &setup).await.unwrap();
    let ingest_url = ingest.web_address().unwrap().to_owned();
    let config = |name| broker.client_config(name, MqttVersion::V5);
    let client = Client::connect(config("t")).await.unwrap();
    let mut statuses = client
        .subscribe(&topics::ALL_INGEST_STATUS, QoS::AtLeastOnce)
        .await
        .unwrap();
    let units = [
        RunningUnit::start(gateway, config("gateway")),
        RunningUnit::start(ingest, config("ingest")),
    ];
    for unit in [id.unit_id.as_str(), "gateway", "ingest"] {
        wait_online(&client, unit).await;
    }
    connected(&mut statuses).await;

    // Devices publish from before the page opens until the script ends.
    let stop = CancellationToken::new();
    let devices = tokio::spawn(publish(client.clone(), stop.clone()));
    let env = [
        ("MODT_LOGIN_URL", format!("{}/login", id.url)),
        ("MODT_INGEST_URL", ingest_url),
        ("MODT_ADMIN", "ada".into()),
        ("MODT_USER", "uma".into()),
        ("MODT_PASSWORD", PASSWORD.into()),
        ("MODT_SENSOR", format!("{SITE}/{GATEWAY}/{SERIAL}/t1")),
        ("MODT_UNKNOWN_TOPIC", UNKNOWN.into()),
    ]
    .map(|(k, v)| (k.to_owned(), v));
    tokio::task::spawn_blocking(move || browser::run_script("ingest.mjs", "ingest", &env))
        .await
        .unwrap();
    stop.cancel();
    devices.await.unwrap();

    let shots = browser::screenshots("ingest");
    for name in [
        "01-devices",
        "02-stopping",
        "03-restarted",
        "04-phone",
        "05-ja-user-phone",
    ] {
        assert!(shots.join(format!("{name}.png")).exists(), "{name}.png");
    }
    client.shutdown().await;
    for unit in units {
        unit.stop().await.unwrap();
    }
    id.unit.stop().await.unwrap();
}

/// Waits for the demo connection's status to say connected.
async fn connected(statuses: &mut modt::Subscription) {
    let wait = async {
        while let Some(msg) = statuses.recv().await {
            if let Ok(s) = msg.json::<ConnectionStatus>() {
                if s.state == ConnectionState::Connected {
                    return;
                }
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(20), wait)
        .await
        .expect("the demo connection connects");
}

/// A datalogger's readings every 200 ms (temperature rising), its gateway's status now and
/// then, and every few rounds a message no parser takes: not JSON, a schema violation, and
/// a topic no parser knows.
async fn publish(client: Client, stop: CancellationToken) {
    let readings = topics::device_readings(SITE, GATEWAY, SERIAL).unwrap();
    let status = topics::device_gateway_status(SITE, GATEWAY).unwrap();
    let unknown = Topic::new(UNKNOWN).unwrap();
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    for n in 0u64.. {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tick.tick() => {}
        }
        let ts = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let t = 20.0 + n as f64 * 0.1;
        let mut messages = vec![(
            &readings,
            json!({"ts": ts, "model": "TX-40", "seq": n, "readings": [
                {"sensor": "t1", "kind": "temperature", "unit": "°C", "value": t},
                {"sensor": "h1", "kind": "humidity", "unit": "%", "value": 60.0 - t / 2.0},
            ]})
            .to_string(),
        )];
        if n % 10 == 0 {
            messages.push((
                &status,
                json!({"ts": ts, "online": true, "rssi": -60 - (n % 7) as i64}).to_string(),
            ));
        }
        if n % 5 == 0 {
            messages.push((&readings, "T1=21.4;H1=48".to_owned()));
            messages.push((&readings, json!({"ts": ts, "readings": []}).to_string()));
            messages.push((&unknown, json!({"ts": ts, "beat": n}).to_string()));
        }
        for (topic, payload) in messages {
            let out = Outgoing::new(topic.clone(), payload.into_bytes()).qos(QoS::AtLeastOnce);
            if client.publish(out).await.is_err() {
                return;
            }
        }
    }
}
