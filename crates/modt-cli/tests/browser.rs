//! End to end in a real headless Chromium against `modt up`: the scripts in `e2e/` drive the
//! pages; screenshots land in `target/e2e-screenshots/`.

mod support;

#[test]
fn register_login_app_logout_in_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let (mut up, banner) = support::up_with_web(dir.path());
    let login = support::banner_url(&banner, "open");
    assert!(login.ends_with("/login"), "{login}");
    let Some(out) = support::run_browser_script(
        "login-flow.mjs",
        "login-flow",
        &[("MODT_LOGIN_URL", login.as_str())],
    ) else {
        return;
    };
    let shots = support::workspace_root().join("target/e2e-screenshots/login-flow");
    for name in [
        "01-register",
        "02-login",
        "03-app",
        "04-logged-out",
        "05-app-signed-out",
    ] {
        assert!(shots.join(format!("{name}.png")).exists(), "{name}.png");
    }

    // The session id the browser held never appears in the system's logs.
    let session = out
        .lines()
        .find_map(|l| l.strip_prefix("SESSION "))
        .expect("the script reports the session id");
    assert_eq!(session.len(), 64);
    up.signal("INT");
    up.wait_exit(20);
    let (_, logs) = up.output();
    assert!(logs.contains("login"), "the logs were captured: {logs}");
    assert!(
        !logs.contains(session),
        "the session id leaked into the logs"
    );
}

#[test]
fn monitor_shows_a_published_message_masked_in_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let password = "monitor e2e password";
    support::run_ok_with_env(
        &["users", "add", "watcher", "--admin", "--data-dir", data],
        &[("MODT_USER_PASSWORD", password)],
    );
    let (mut up, banner) = support::up_with_web(dir.path());
    let login = support::banner_url(&banner, "open");
    let monitor = support::unit_url(&banner, "monitor");
    let port = support::broker_port(&banner);
    let Some(_) = support::run_browser_script(
        "monitor.mjs",
        "monitor",
        &[
            ("MODT_LOGIN_URL", login.as_str()),
            ("MODT_MONITOR_URL", monitor.as_str()),
            ("MODT_USER", "watcher"),
            ("MODT_PASSWORD", password),
            ("MODT_BIN", env!("CARGO_BIN_EXE_modt")),
            ("MODT_BROKER_PORT", port.as_str()),
            // `modt pub` logs in with the cli account of this data directory.
            ("MODT_DATA_DIR", data),
        ],
    ) else {
        return;
    };
    let shots = support::workspace_root().join("target/e2e-screenshots/monitor");
    for name in [
        "01-signed-out",
        "02-live",
        "03-detail",
        "04-paused",
        "05-filtered",
    ] {
        assert!(shots.join(format!("{name}.png")).exists(), "{name}.png");
    }
    up.signal("INT");
    let status = up.wait_exit(20);
    let (out, logs) = up.output();
    assert!(
        status.success(),
        "modt up stopped badly: {status}\n{out}\n{logs}"
    );
}

/// Request traffic in the monitor: reply topics grouped per requester, previews that start
/// with what a message does, sparklines, a phone's width, Japanese (`e2e/monitor-more.mjs`).
#[test]
fn monitor_groups_replies_previews_sparklines_and_fits_a_phone_in_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let password = "monitor more e2e password";
    support::run_ok_with_env(
        &["users", "add", "watcher", "--admin", "--data-dir", data],
        &[("MODT_USER_PASSWORD", password)],
    );
    let (mut up, banner) = support::up_with_web(dir.path());
    let login = support::banner_url(&banner, "open");
    let monitor = support::unit_url(&banner, "monitor");
    let port = support::broker_port(&banner);
    let Some(_) = support::run_browser_script(
        "monitor-more.mjs",
        "monitor-more",
        &[
            ("MODT_LOGIN_URL", login.as_str()),
            ("MODT_MONITOR_URL", monitor.as_str()),
            ("MODT_USER", "watcher"),
            ("MODT_PASSWORD", password),
            ("MODT_BIN", env!("CARGO_BIN_EXE_modt")),
            ("MODT_BROKER_PORT", port.as_str()),
            ("MODT_DATA_DIR", data),
        ],
    ) else {
        return;
    };
    let shots = support::workspace_root().join("target/e2e-screenshots/monitor-more");
    for name in ["01-grouped", "02-phone", "03-phone-tree", "04-ja"] {
        assert!(shots.join(format!("{name}.png")).exists(), "{name}.png");
    }
    up.signal("INT");
    let status = up.wait_exit(20);
    let (out, logs) = up.output();
    assert!(
        status.success(),
        "modt up stopped badly: {status}\n{out}\n{logs}"
    );
}

#[test]
fn viewer_edits_live_updates_and_csrf_in_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let (_up, banner) = support::up_with_web(dir.path());
    let login = support::banner_url(&banner, "open");
    let viewer = support::unit_url(&banner, "viewer");
    let Some(_) = support::run_browser_script(
        "viewer.mjs",
        "viewer",
        &[
            ("MODT_LOGIN_URL", login.as_str()),
            ("MODT_VIEWER_URL", viewer.as_str()),
        ],
    ) else {
        return;
    };
    let shots = support::workspace_root().join("target/e2e-screenshots/viewer");
    for name in [
        "01-empty",
        "02-added",
        "04-updated",
        "05-live",
        "07-cleared",
    ] {
        assert!(shots.join(format!("{name}.png")).exists(), "{name}.png");
    }
}

#[test]
fn every_web_unit_answers_an_unknown_address_with_a_styled_page_in_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let (_up, banner) = support::up_with_web(dir.path());
    let urls: Vec<String> = ["identify", "dummy", "viewer", "monitor"]
        .iter()
        .map(|u| support::unit_url(&banner, u))
        .collect();
    let Some(_) = support::run_browser_script(
        "not-found.mjs",
        "not-found",
        &[("MODT_URLS", urls.join(",").as_str())],
    ) else {
        return;
    };
    let shots = support::workspace_root().join("target/e2e-screenshots/not-found");
    assert!(shots.join("09-ja-390px.png").exists());
}

#[test]
fn the_viewer_says_when_it_is_no_longer_live_in_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let (up, banner) = support::up_with_web(dir.path());
    let login = support::banner_url(&banner, "open");
    let viewer = support::unit_url(&banner, "viewer");
    let pid = up.child.id().to_string();
    let Some(_) = support::run_browser_script(
        "viewer-offline.mjs",
        "viewer-offline",
        &[
            ("MODT_LOGIN_URL", login.as_str()),
            ("MODT_VIEWER_URL", viewer.as_str()),
            ("MODT_UP_PID", pid.as_str()),
        ],
    ) else {
        return;
    };
    let shots = support::workspace_root().join("target/e2e-screenshots/viewer-offline");
    assert!(shots.join("02-reconnecting.png").exists());
}

#[test]
fn the_viewer_as_a_newcomer_meets_it_in_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let (mut up, banner) = support::up_with_web(dir.path());
    let login = support::banner_url(&banner, "open");
    let viewer = support::unit_url(&banner, "viewer");
    let Some(_) = support::run_browser_script(
        "viewer-first-hour.mjs",
        "viewer-first-hour",
        &[
            ("MODT_LOGIN_URL", login.as_str()),
            ("MODT_VIEWER_URL", viewer.as_str()),
        ],
    ) else {
        return;
    };
    let shots = support::workspace_root().join("target/e2e-screenshots/viewer-first-hour");
    for name in [
        "01-back-after-login",
        "02-conflict",
        "03-folded",
        "04-too-large",
        "05-en-390px",
        "05-ja-390px",
    ] {
        assert!(shots.join(format!("{name}.png")).exists(), "{name}.png");
    }
    up.signal("INT");
    up.wait_exit(20);
}

#[test]
fn the_viewer_says_when_the_state_unit_or_the_broker_is_gone_in_chromium() {
    let Some(mosquitto) = modt_testkit::broker::mosquitto_path() else {
        assert!(
            std::env::var_os("MODT_REQUIRE_MOSQUITTO").is_none(),
            "mosquitto is required here"
        );
        eprintln!("skipped: mosquitto is not installed");
        return;
    };
    // Mosquitto as users run it: no config file.
    let port = support::free_port().to_string();
    let mut broker = std::process::Command::new(mosquitto)
        .args(["-p", &port])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    support::wait_for_port(port.parse().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let web = |name: &str| {
        let p = support::free_port();
        let addr = format!("127.0.0.1:{p}");
        let unit = support::spawn_unit(name, name, &port, dir.path(), &["--http-addr", &addr]);
        support::wait_for_port(p);
        (unit, format!("http://{addr}"))
    };
    let (_identify, identify_url) = web("identify");
    let state = support::spawn_unit("state", "state", &port, dir.path(), &[]);
    let (_viewer, viewer_url) = web("viewer");
    let state_pid = state.child.id().to_string();
    let broker_pid = broker.id().to_string();
    let outcome = support::run_browser_script(
        "viewer-down.mjs",
        "viewer-down",
        &[
            ("MODT_LOGIN_URL", identify_url.as_str()),
            ("MODT_VIEWER_URL", viewer_url.as_str()),
            ("MODT_STATE_PID", state_pid.as_str()),
            ("MODT_BROKER_PID", broker_pid.as_str()),
        ],
    );
    let _ = broker.kill();
    let _ = broker.wait();
    if outcome.is_none() {
        return;
    }
    let shots = support::workspace_root().join("target/e2e-screenshots/viewer-down");
    for name in ["01-live", "02-state-gone", "03-broker-gone"] {
        assert!(shots.join(format!("{name}.png")).exists(), "{name}.png");
    }
}

/// `modt up --database-url postgres://…`: state, identify and hub keep their data in
/// PostgreSQL (a schema each, no SQLite file), and the browser walk — register, log in, open
/// the app, log out; then the viewer's edits and live updates — passes on it.
#[test]
fn login_app_and_viewer_on_postgres_in_chromium() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let Some(db) = runtime.block_on(modt_testkit::postgres::test_database()) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let port = support::free_port().to_string();
    let (mut up, banner) = support::up_with_web_args(
        dir.path(),
        &["--broker-port", &port, "--database-url", &db.url],
    );
    assert!(
        banner
            .iter()
            .any(|l| l.trim_start().starts_with("database")),
        "the banner names the database: {banner:?}"
    );
    let login = support::banner_url(&banner, "open");
    let viewer = support::unit_url(&banner, "viewer");
    let env = [
        ("MODT_LOGIN_URL", login.as_str()),
        ("MODT_VIEWER_URL", viewer.as_str()),
    ];
    let Some(_) = support::run_browser_script("login-flow.mjs", "pg-login-flow", &env) else {
        return;
    };
    let Some(_) = support::run_browser_script("viewer.mjs", "pg-viewer", &env) else {
        return;
    };
    for file in ["modt_state.db", "modt_identify.db", "modt_hub.db"] {
        assert!(!dir.path().join(file).exists(), "{file} was created");
    }
    let schemas = runtime.block_on(schemas(&db.url));
    for schema in ["modt_state", "modt_identify", "modt_hub"] {
        assert!(
            schemas.iter().any(|s| s == schema),
            "{schema} in {schemas:?}"
        );
    }
    up.signal("INT");
    assert!(up.wait_exit(20).success());
}

/// The schemas of the database at `url`.
#[allow(clippy::unwrap_used)]
async fn schemas(url: &str) -> Vec<String> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let rows = client
        .query("SELECT schema_name FROM information_schema.schemata", &[])
        .await
        .unwrap();
    rows.iter().map(|r| r.get(0)).collect()
}
