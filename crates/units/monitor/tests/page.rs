//! Who may watch: the page and the WebSocket for administrators; a way to log in for
//! visitors; 403 for other users; 503 (not a hang) when the identify unit is down.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use modt_monitor::MonitorConfig;
use modt_testkit::TestBroker;

#[tokio::test]
async fn admins_watch_everyone_else_is_told_why_not() {
    let broker = TestBroker::embedded();
    let client = support::client(&broker).await;
    let identify = support::start_identify(&broker, &client).await;
    let config = MonitorConfig {
        session_timeout: Duration::from_millis(500),
        ..MonitorConfig::default()
    };
    let monitor = support::start_monitor(&broker, &client, config).await;
    let url = &monitor.url;

    let admin = support::get(url, "/", Some(&identify.admin_session)).await;
    assert_eq!(admin.status(), 200);
    let csp = admin.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    let html = admin.text().await.unwrap();
    assert!(html.contains("/assets/monitor.js"), "{html}");
    assert!(html.contains("data-testid=\"rows\""), "{html}");
    assert!(html.contains(">ada"), "{html}");
    let script = support::get(url, "/assets/monitor.js", None).await;
    assert_eq!(script.status(), 200);
    assert!(script.headers()["content-type"]
        .to_str()
        .unwrap()
        .contains("javascript"));

    let anon = support::get(url, "/", None).await;
    assert_eq!(anon.status(), 200);
    let html = anon.text().await.unwrap();
    assert!(html.contains("You are not logged in"), "{html}");
    let login = format!("{}/login", identify.url).replace('/', "&#x2f;");
    assert!(html.contains(&login), "a link to identify's login: {html}");

    let expired = support::get(url, "/", Some("no-such-session")).await;
    let expired = expired.text().await.unwrap();
    assert!(expired.contains("&amp;expired=1"), "{expired}");
    assert!(
        expired.contains("login?next=http%3A%2F%2F127.0.0.1"),
        "logging in comes back to the monitor: {expired}"
    );

    let user = support::get(url, "/", Some(&identify.user_session)).await;
    assert_eq!(user.status(), 403);
    assert!(user.text().await.unwrap().contains("Administrators only"));
    let ja = reqwest::Client::new()
        .get(format!("{url}/"))
        .header(
            "cookie",
            format!("modt_session_id={}", identify.user_session),
        )
        .header("accept-language", "ja")
        .send()
        .await
        .unwrap();
    assert!(ja.text().await.unwrap().contains("管理者専用"));

    // The WebSocket asks the same question, and refuses other sites.
    let admin_sid = Some(identify.admin_session.as_str());
    assert!(support::open_feed(url, "", admin_sid, Some(url))
        .await
        .is_ok());
    assert_eq!(
        support::open_feed(url, "", admin_sid, Some("http://evil.example"))
            .await
            .err(),
        Some(403)
    );
    assert_eq!(
        support::open_feed(url, "", Some(&identify.user_session), None)
            .await
            .err(),
        Some(403)
    );
    assert_eq!(
        support::open_feed(url, "", None, None).await.err(),
        Some(401)
    );
    assert_eq!(
        support::open_feed(url, "?filter=a%2F%23%2Fb", admin_sid, None)
            .await
            .err(),
        Some(400)
    );

    // The identify unit stops: a clear page after the timeout, not a hang.
    identify.unit.stop().await.unwrap();
    let down = support::get(url, "/", Some(&identify.admin_session)).await;
    assert_eq!(down.status(), 503);
    assert!(down.text().await.unwrap().contains("not running"));
    assert_eq!(
        support::open_feed(url, "", admin_sid, None).await.err(),
        Some(503)
    );
    monitor.unit.stop().await.unwrap();
}
