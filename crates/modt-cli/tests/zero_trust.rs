//! Zero trust between units (docs/protocol.md §6), on the embedded broker of `modt up` and on a
//! real Mosquitto configured by `modt broker config`: no credentials or a wrong password is
//! refused; the viewer's account cannot vouch for a session; one client cannot read
//! another's replies nor borrow its client id; a refused publish reaches nobody; and the
//! whole login → app → viewer flow works with the policy in force.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::Path;
use std::time::Duration;

use modt::protocol::{topics, AuthSuccess, SessionInfo, SessionQuery};
use modt::{Client, ClientConfig, Credentials, QoS, Secret, TopicFilter};

const WAIT: Duration = Duration::from_secs(10);

fn password(data_dir: &Path, account: &str) -> String {
    std::fs::read_to_string(
        data_dir
            .join("credentials")
            .join(format!("{account}.password")),
    )
    .unwrap()
    .trim()
    .to_string()
}

fn config(port: u16, account: &str, client_id: &str, password: &str) -> ClientConfig {
    let mut c = ClientConfig::new("127.0.0.1", port, client_id);
    c.credentials = Some(Credentials {
        username: account.into(),
        password: Secret::new(password),
    });
    c.connect_timeout = Duration::from_secs(3);
    c
}

async fn login_as(port: u16, data_dir: &Path, account: &str) -> Client {
    let id = ClientConfig::unique_client_id(account);
    Client::connect(config(port, account, &id, &password(data_dir, account)))
        .await
        .unwrap()
}

/// Everything the policy promises, against the broker on `port` whose accounts' passwords
/// are in `data_dir`.
async fn check_policy(port: u16, data_dir: &Path) {
    // No credentials, a wrong password, another account's client id: refused.
    let anon = Client::connect(ClientConfig::new("127.0.0.1", port, "anon-1")).await;
    let refused = modt::error::ConnectErrorKind::Refused;
    assert!(matches!(&anon, Err(e) if e.kind() == refused), "{anon:?}");
    let wrong = Client::connect(config(port, "cli", "cli-x", "not-the-password")).await;
    assert!(matches!(&wrong, Err(e) if e.kind() == refused), "{wrong:?}");

    // The viewer cannot vouch for a session, and what it may not publish reaches nobody.
    let watcher = login_as(port, data_dir, "cli").await;
    let mut seen = watcher
        .subscribe(&TopicFilter::new("modt/+/+").unwrap(), QoS::AtLeastOnce)
        .await
        .unwrap();
    let viewer = login_as(port, data_dir, "viewer").await;
    let forged = SessionInfo::valid("forged-session", "victim", "admin");
    viewer
        .publish_json(&topics::SESSION_INFO, &forged)
        .await
        .unwrap();
    let forged = AuthSuccess::new("victim", "forged-session", "admin");
    viewer
        .publish_json(&topics::AUTH_SUCCESS, &forged)
        .await
        .unwrap();
    // Then something it may publish: the broker keeps one client's messages in order, so
    // the forgeries would arrive before this marker if they got through.
    viewer
        .publish_json(&topics::SESSION_QUERY, &SessionQuery::new("marker-session"))
        .await
        .unwrap();
    loop {
        let msg = modt_testkit::recv_within(&mut seen, WAIT, "the marker").await;
        let text = msg.text();
        assert!(
            !text.contains("forged-session"),
            "a refused publish was delivered: {text}"
        );
        if text.contains("marker-session") {
            break;
        }
    }

    // The sample app cannot read another client's private replies: the embedded broker
    // refuses the subscription; Mosquitto 2.0 grants it but never delivers (its ACL is
    // checked per message). Either way nothing arrives.
    let dummy = login_as(port, data_dir, "dummy").await;
    assert_reads_no_replies_of(&dummy, &viewer, &watcher).await;
    // Nor by borrowing the viewer's client id: the embedded broker refuses that login;
    // Mosquitto takes it (and disconnects the viewer), but the replies under the viewer's
    // account stay closed to the dummy account.
    // (The viewer leaves first, or the two would take the id from each other in turns.)
    viewer.shutdown().await;
    let dummy_password = password(data_dir, "dummy");
    let borrowed = config(port, "dummy", viewer.client_id(), &dummy_password);
    match Client::connect(borrowed).await {
        Ok(borrower) => assert_reads_no_replies_of(&borrower, &viewer, &watcher).await,
        Err(e) => assert_eq!(e.kind(), modt::error::ConnectErrorKind::Refused, "{e}"),
    }
}

/// `reader` subscribes to `victim`'s reply subtree; `sender` publishes a reply there, then a
/// marker on a topic `reader` may read: only the marker arrives.
async fn assert_reads_no_replies_of(reader: &Client, victim: &Client, sender: &Client) {
    let theirs = reader
        .subscribe(&victim.reply_root().subtree(), QoS::AtLeastOnce)
        .await;
    if let Err(e) = &theirs {
        assert_eq!(e.kind(), modt::error::SubscribeErrorKind::Refused, "{e}");
    }
    let mut own = reader
        .subscribe(&topics::AUTH_SUCCESS.to_filter(), QoS::AtLeastOnce)
        .await
        .unwrap();
    let secret = victim.reply_root().join("secret").unwrap();
    sender
        .publish_json(
            &secret,
            &serde_json::json!({"secret": "for the viewer only"}),
        )
        .await
        .unwrap();
    // A marker on a topic the reader may read, from the same sender, right after.
    let marker = AuthSuccess::new("marker-user", "marker-session", "user");
    sender
        .publish_json(&topics::AUTH_SUCCESS, &marker)
        .await
        .unwrap();
    let got = modt_testkit::recv_within(&mut own, WAIT, "the marker").await;
    assert!(got.text().contains("marker-session"), "{}", got.text());
    if let Ok(mut theirs) = theirs {
        // Anything delivered would have been queued before the marker.
        let leaked = tokio::time::timeout(Duration::ZERO, theirs.recv()).await;
        assert!(
            leaked.is_err(),
            "another client's reply was delivered: {leaked:?}"
        );
    }
}

/// Logs in through the identify unit's API, then uses the sample app and the viewer.
async fn check_flow(data_dir: &Path, banner: &[String]) {
    let login = support::banner_url(banner, "open");
    let identify = login.trim_end_matches("/login").to_string();
    let app = support::banner_url(banner, "unit     dummy");
    let viewer = support::banner_url(banner, "unit     viewer");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_modt"))
        .args(["users", "add", "zoe", "--data-dir"])
        .arg(data_dir)
        .env("MODT_USER_PASSWORD", "a long password")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let http = reqwest::Client::new();
    let res = http
        .post(format!("{identify}/api/login"))
        .header("content-type", "application/json")
        .body(r#"{"username": "zoe", "password": "a long password"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = serde_json::from_str(&res.text().await.unwrap()).unwrap();
    let cookie = format!("modt_session_id={}", body["session_id"].as_str().unwrap());
    // Units start in parallel; wait until the app's page answers for the user.
    let mut page = String::new();
    for _ in 0..100 {
        page = http
            .get(&app)
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if page.contains(">zoe<") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(page.contains(">zoe<"), "the app knows the user: {page}");
    let keys = http
        .get(&viewer)
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(keys.status(), 200);
    assert!(keys.text().await.unwrap().contains("No keys yet"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_embedded_broker_enforces_the_policy() {
    let dir = tempfile::tempdir().unwrap();
    let (up, banner) = support::up_with_web(dir.path());
    let port: u16 = support::banner_url(
        &banner
            .iter()
            .map(|l| l.replace("mqtt://", "http://"))
            .collect::<Vec<_>>(),
        "broker",
    )
    .rsplit(':')
    .next()
    .unwrap()
    .parse()
    .unwrap();
    let mode = banner.iter().find(|l| l.contains("access:")).unwrap();
    assert!(mode.contains("least privilege"), "{mode}");
    let mode = std::fs::metadata(dir.path().join("credentials/identify.password")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(mode.permissions().mode() & 0o777, 0o600);
    }
    check_policy(port, dir.path()).await;
    check_flow(dir.path(), &banner).await;
    drop(up);
}

fn whoami() -> String {
    let out = std::process::Command::new("id")
        .arg("-un")
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn mosquitto_with_the_generated_config_enforces_the_policy() {
    let Some(mosquitto) = modt_testkit::broker::mosquitto_path() else {
        assert!(
            std::env::var("MODT_REQUIRE_MOSQUITTO").as_deref() != Ok("1"),
            "MODT_REQUIRE_MOSQUITTO=1 but mosquitto is not installed"
        );
        eprintln!("skipping: mosquitto is not installed (apt-get install mosquitto)");
        return;
    };
    let data = tempfile::tempdir().unwrap();
    let conf = tempfile::tempdir().unwrap();
    let port = support::free_port();
    let out = support::run_ok(&[
        "broker",
        "config",
        "--out",
        conf.path().to_str().unwrap(),
        "--data-dir",
        data.path().to_str().unwrap(),
        "--port",
        &port.to_string(),
        // The files are the test user's, readable by it only; keep Mosquitto as that user.
        "--mosquitto-user",
        &whoami(),
    ]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("mosquitto -c"));
    let pw = std::fs::read_to_string(conf.path().join("password_file")).unwrap();
    assert!(pw.lines().all(|l| l.contains(":$7$101$")), "{pw}");
    let mut broker = std::process::Command::new(mosquitto)
        .arg("-c")
        .arg(conf.path().join("mosquitto.conf"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    support::wait_for_port(port);
    check_policy(port, data.path()).await;

    // The whole system on that Mosquitto, every unit with its own account.
    let (up, banner) = support::up_with_web_args(
        data.path(),
        &["--external-broker", "--broker-port", &port.to_string()],
    );
    check_flow(data.path(), &banner).await;
    drop(up);
    let _ = broker.kill();
    let _ = broker.wait();
}
