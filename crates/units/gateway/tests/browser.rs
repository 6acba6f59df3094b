//! The gateway's documentation page in a real headless Chromium (`e2e/gateway-docs.mjs`,
//! playwright-core): identify and the gateway on the embedded broker in this process; the
//! page has the shared header and favicon, for a visitor and for a logged-in user, in
//! English and Japanese. Screenshots land in `target/e2e-screenshots/gateway/`. Skipped
//! (saying why) without Chromium, node or `e2e/node_modules`, unless `MODT_REQUIRE_BROWSER=1`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use modt::{Client, MqttVersion};
use modt_identify::Role;
use modt_testkit::{browser, wait_online, RunningUnit, TestBroker};

#[path = "../../identify/tests/support/identify.rs"]
mod identify;

const PASSWORD: &str = "a long documentation password";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_docs_page_has_the_site_header_and_icon_in_chromium() {
    if !browser::available("the gateway docs browser test") {
        return;
    }
    modt_testkit::init_tracing();
    let broker = TestBroker::embedded();
    let dir = tempfile::tempdir().unwrap();
    let (id, setup) = identify::start_for_web(&broker, dir.path()).await;
    identify::add_user(&id.store, "ada", PASSWORD, Role::User).await;
    let gateway = modt_gateway::build(modt_gateway::Args::default(), &setup)
        .await
        .unwrap();
    let gateway_url = gateway.web_address().unwrap().to_owned();
    let config = |name| broker.client_config(name, MqttVersion::V5);
    let client = Client::connect(config("t")).await.unwrap();
    let gateway = RunningUnit::start(gateway, config("gateway"));
    for unit in [id.unit_id.as_str(), "gateway"] {
        wait_online(&client, unit).await;
    }

    let env = [
        ("MODT_GATEWAY_URL", gateway_url),
        ("MODT_LOGIN_URL", format!("{}/login", id.url)),
        ("MODT_USER", "ada".into()),
        ("MODT_PASSWORD", PASSWORD.into()),
    ]
    .map(|(k, v)| (k.to_owned(), v));
    tokio::task::spawn_blocking(move || browser::run_script("gateway-docs.mjs", "gateway", &env))
        .await
        .unwrap();

    let shots = browser::screenshots("gateway");
    for name in ["01-docs-visitor", "02-docs-user", "03-docs-ja-phone"] {
        assert!(shots.join(format!("{name}.png")).exists(), "{name}.png");
    }
    client.shutdown().await;
    gateway.stop().await.unwrap();
    id.unit.stop().await.unwrap();
}
