//! The todo page in a real headless Chromium (`e2e/todo.mjs`, playwright-core), on a whole
//! system in this process: the embedded broker, identify, the API gateway and the todo unit
//! (SQLite in a temp dir), each web side on a free port. The page calls the REST API through
//! the gateway with the session cookie; two tabs see each other's changes live.
//! Screenshots land in `target/e2e-screenshots/todo/`. Skipped (saying why) without Chromium,
//! node or `e2e/node_modules`, unless `MODT_REQUIRE_BROWSER=1`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use modt::unit::Setup;
use modt::MqttVersion;
use modt_identify::{IdentifyConfig, Role};
use modt_testkit::{wait_online, RunningUnit, TestBroker};

#[path = "../../identify/tests/support/identify.rs"]
mod identify;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../..")
        .canonicalize()
        .unwrap()
}

/// Why the browser cannot run here, if it cannot.
fn browser_missing() -> Option<String> {
    let chromium = std::env::var("MODT_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !Path::new(&chromium).exists() {
        return Some(format!("no Chromium at {chromium}"));
    }
    if Command::new("node").arg("--version").output().is_err() {
        return Some("no node on PATH".into());
    }
    let pw = workspace_root().join("e2e/node_modules/playwright-core");
    if !pw.exists() {
        return Some(format!("{} is missing (npm ci --prefix e2e)", pw.display()));
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_tick_edit_and_delete_in_two_tabs_through_the_gateway_in_chromium() {
    if let Some(why) = browser_missing() {
        assert!(
            std::env::var("MODT_REQUIRE_BROWSER").as_deref() != Ok("1"),
            "MODT_REQUIRE_BROWSER=1 but {why}"
        );
        eprintln!("skipping the todo browser test: {why}");
        return;
    }
    modt_testkit::init_tracing();
    let broker = TestBroker::embedded();
    let dir = tempfile::tempdir().unwrap();
    let id = identify::start_identify(
        &broker,
        &dir.path().join("identify.db"),
        IdentifyConfig::default(),
        modt::directory::WebUnits::Any,
    )
    .await;
    let password = "a long todo password";
    identify::add_user(&id.store, "tina", password, Role::User).await;

    let mut setup = Setup::new(dir.path());
    setup.web.first_port = Some(0);
    setup.web.identify_url = Some(id.url.clone());
    let gateway = modt_gateway::build(modt_gateway::Args::default(), &setup)
        .await
        .unwrap();
    let todo = modt_todo::build(modt_todo::Args::default(), &setup)
        .await
        .unwrap();
    let todo_url = todo.web_address().unwrap().to_owned();
    let config = |name| broker.client_config(name, MqttVersion::V5);
    let units = [
        RunningUnit::start(gateway, config("gateway")),
        RunningUnit::start(todo, config("todo")),
    ];
    let client = modt::Client::connect(config("t")).await.unwrap();
    for unit in [id.unit_id.as_str(), "gateway", "todo"] {
        wait_online(&client, unit).await;
    }

    let shots = workspace_root().join("target/e2e-screenshots/todo");
    let script = workspace_root().join("e2e/todo.mjs");
    let login = format!("{}/login", id.url);
    let out = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(script)
            .env("MODT_LOGIN_URL", login)
            .env("MODT_TODO_URL", todo_url)
            .env("MODT_USER", "tina")
            .env("MODT_PASSWORD", password)
            .env("MODT_SCREENSHOTS", &shots)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "e2e/todo.mjs failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let shots = workspace_root().join("target/e2e-screenshots/todo");
    for name in [
        "01-added",
        "02-ticked-in-other-tab",
        "03-edited-in-other-tab",
        "04-conflict",
        "05-deleted-in-other-tab",
    ] {
        assert!(shots.join(format!("{name}.png")).exists(), "{name}.png");
    }
    for unit in units {
        unit.stop().await.unwrap();
    }
    id.unit.stop().await.unwrap();
}
