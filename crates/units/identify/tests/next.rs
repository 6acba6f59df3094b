//! Logging in from another unit's page comes back to it (`next`, only to trusted web units
//! online); the pages name units by their announced titles, and offer administrators' units
//! to administrators only.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use modt::protocol::{topics, UnitInfo};
use modt::{Client, Outgoing};
use modt_identify::{IdentifyConfig, Role};
use modt_testkit::TestBroker;
use support::{add_user, location, start, Browser};

/// Announces a web unit `id` at `url` as online (retained, as units do).
async fn announce(client: &Client, id: &str, url: &str, title: &str, admins_only: bool) {
    let info = UnitInfo {
        unit_id: id.into(),
        name: id.into(),
        kind: "app".into(),
        version: "1".into(),
        instance_id: "i".into(),
        started_at: modt::protocol::Timestamp::now(),
        http_url: Some(url.into()),
        serves: vec![],
        publishes: vec![],
        correlated: true,
        titles: [
            ("en".into(), title.into()),
            ("ja".into(), format!("{title}（ja）")),
        ]
        .into(),
        admins_only,
    };
    for (topic, body) in [
        (
            topics::unit_info(id).unwrap(),
            serde_json::to_vec(&info).unwrap(),
        ),
        (topics::unit_status(id).unwrap(), b"online".to_vec()),
    ] {
        let mut out = Outgoing::new(topic, body);
        out.retain = true;
        client.publish(out).await.unwrap();
    }
}

/// Waits until the identify unit's directory lists `title` on the home page of `browser`.
async fn until_listed(browser: &Browser, title: &str) {
    modt_testkit::wait_until(std::time::Duration::from_secs(5), title, || async {
        browser.get("/").await.text().await.unwrap().contains(title)
    })
    .await;
}

/// `s` as a query value.
fn query_value(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

const VIEWER: &str = "http://127.0.0.1:9/v";

#[tokio::test]
async fn a_login_returns_to_the_page_it_started_from() {
    let broker = TestBroker::embedded();
    let (id, client) = start(&broker, None, IdentifyConfig::default()).await;
    announce(&client, "view-x", VIEWER, "Viewer X", false).await;
    add_user(&id.store, "gail", "long-enough", Role::User).await;
    let browser = Browser::new(&id.url);

    let next = format!("{VIEWER}/?user=a");
    let encoded = query_value(&next);
    let login_page = format!("/login?next={encoded}");
    let html = browser.get(&login_page).await.text().await.unwrap();
    assert!(html.contains(&format!(
        "action=\"&#x2f;login?next={}",
        encoded.replace('/', "&#x2f;")
    )));
    let token = browser.csrf(&login_page).await;
    // A wrong password keeps `next` in the form.
    let fields = |pw: &'static str| [("username", "gail"), ("password", pw), ("csrf_token", "")];
    let mut wrong = fields("wrong-password");
    wrong[2].1 = &token;
    let res = browser.post_form(&login_page, &wrong).await;
    assert_eq!(res.status(), 401);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains(&format!("next={}", encoded.replace('/', "&#x2f;"))));

    let mut right = fields("long-enough");
    right[2].1 = &token;
    let res = browser.post_form(&login_page, &right).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), format!("/waiting?next={encoded}"));
    let waiting = browser.get(&location(&res)).await.text().await.unwrap();
    let escaped = next.replace('&', "&amp;").replace('/', "&#x2f;");
    assert!(
        waiting.contains(&format!("content=\"0;url={escaped}\"")),
        "{waiting}"
    );
    assert!(
        waiting.contains("Opening Viewer X"),
        "by its title: {waiting}"
    );

    // Already logged in: the login page sends the browser straight back.
    let res = browser.get(&login_page).await;
    assert_eq!((res.status().as_u16(), location(&res)), (303, next));
}

#[tokio::test]
async fn next_never_leaves_the_trusted_units() {
    let broker = TestBroker::embedded();
    let (id, client) = start(&broker, None, IdentifyConfig::default()).await;
    announce(&client, "view-x", VIEWER, "Viewer X", false).await;
    add_user(&id.store, "hank", "long-enough", Role::User).await;
    let browser = Browser::new(&id.url);
    browser.login("hank", "long-enough").await;
    until_listed(&browser, "Viewer X").await;
    for evil in [
        "http://evil.example/",
        "//evil.example/",
        "javascript:alert(1)",
        "http://127.0.0.1:9/elsewhere",
    ] {
        let encoded = query_value(evil);
        let page = browser
            .get(&format!("/waiting?next={encoded}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            !page.contains("evil") && !page.contains("elsewhere"),
            "{evil}: {page}"
        );
        let res = browser.get(&format!("/login?next={encoded}")).await;
        assert_eq!(location(&res), "/", "{evil}");
    }
}

#[tokio::test]
async fn pages_use_titles_and_roles_in_words_and_hide_admin_units_from_users() {
    let broker = TestBroker::embedded();
    let (id, client) = start(&broker, None, IdentifyConfig::default()).await;
    announce(&client, "view-x", VIEWER, "Viewer X", false).await;
    announce(&client, "mon-x", "http://127.0.0.1:9/m", "Monitor X", true).await;
    add_user(&id.store, "ivy", "long-enough", Role::User).await;
    add_user(&id.store, "jon", "long-enough", Role::Admin).await;

    let user = Browser::new(&id.url);
    user.login("ivy", "long-enough").await;
    until_listed(&user, "Viewer X").await;
    let home = user.get("/").await.text().await.unwrap();
    assert!(!home.contains("Monitor X"), "{home}");
    assert!(!home.contains("view-x"), "no raw unit ids: {home}");
    assert!(
        home.contains("data-testid=\"nav\""),
        "the header links: {home}"
    );
    let ja = user.get("/?lang=ja").await.text().await.unwrap();
    assert!(
        ja.contains("Viewer X（ja）") && ja.contains("一般ユーザー"),
        "{ja}"
    );

    let admin = Browser::new(&id.url);
    admin.login("jon", "long-enough").await;
    until_listed(&admin, "Monitor X").await;
    let home = admin.get("/").await.text().await.unwrap();
    assert!(home.contains(">administrator<"), "{home}");
    assert!(home.contains("data-testid=\"nav-logout\""), "{home}");
}

#[tokio::test]
async fn registering_keeps_the_way_back() {
    let broker = TestBroker::embedded();
    let (id, client) = start(&broker, None, IdentifyConfig::default()).await;
    announce(&client, "view-x", VIEWER, "Viewer X", false).await;
    let browser = Browser::new(&id.url);
    let encoded = query_value(VIEWER);
    // Once the directory knows the viewer, the link to registration carries `next`.
    modt_testkit::wait_until(std::time::Duration::from_secs(5), "next kept", || async {
        let html = browser
            .get(&format!("/login?next={encoded}"))
            .await
            .text()
            .await
            .unwrap();
        html.contains("&#x2f;register?next=")
    })
    .await;
    let page = format!("/register?next={encoded}");
    let token = browser.csrf(&page).await;
    let res = browser
        .post_form(
            &page,
            &[
                ("username", "kim"),
                ("password", "long-enough"),
                ("csrf_token", &token),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        location(&res),
        format!("/login?registered=1&next={encoded}")
    );
}
