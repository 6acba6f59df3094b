//! The identify unit's pages over real HTTP: register → login → handshake → app, the
//! fallback when no app answers, errors that give nothing away, CSRF, throttling, the JSON
//! login, security headers and cookie flags, logout.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use futures::StreamExt as _;
use modt::protocol::{topics, AppReady, AuthSuccess, UnitInfo};
use modt::{Outgoing, QoS};
use modt_identify::throttle::ThrottleConfig;
use modt_identify::{IdentifyConfig, Role};
use modt_testkit::{recv_within, TestBroker};
use support::{add_user, location, start, Browser};

const WAIT: Duration = Duration::from_secs(5);

#[tokio::test]
async fn register_login_and_the_first_ready_app_gets_the_browser() {
    let broker = TestBroker::embedded();
    let (id, client) = start(&broker, None, IdentifyConfig::default()).await;
    let browser = Browser::new(&id.url);

    let token = browser.csrf("/register").await;
    let res = browser
        .post_form(
            "/register",
            &[
                ("username", "dana"),
                ("password", "long-enough"),
                ("password_confirm", "long-enough"),
                ("csrf_token", &token),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/login?registered=1");
    let notice = browser
        .get("/login?registered=1")
        .await
        .text()
        .await
        .unwrap();
    assert!(notice.contains("Account created"), "{notice}");

    let mut logins = client
        .subscribe(&topics::AUTH_SUCCESS.to_filter(), QoS::AtLeastOnce)
        .await
        .unwrap();
    let res = browser.login("dana", "long-enough").await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        location(&res),
        "/waiting",
        "the session id never goes into a URL"
    );
    let sid = browser.session_id().unwrap();
    let set_cookie = res
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax"),
        "{set_cookie}"
    );

    let login: AuthSuccess = recv_within(&mut logins, WAIT, "auth/success")
        .await
        .json()
        .unwrap();
    // Every app account reads auth/success: it carries a one-time handshake id, never the
    // session id (the browser's credential).
    assert_ne!(login.session_id, sid, "the session id is not broadcast");
    assert_eq!(login.session_id.len(), 64);
    assert_eq!(login.role, "user");
    let handshake = login.session_id;

    // Before any app answers, the page waits (and its event stream is open).
    let page = browser.get("/waiting").await.text().await.unwrap();
    assert!(page.contains("/assets/waiting.js"), "{page}");
    let events = browser.get("/waiting/events").await;
    assert_eq!(events.headers()["content-type"], "text/event-stream");
    let mut body = events.bytes_stream();

    // An answer naming the session id itself is not an answer to this login …
    client
        .publish_json(
            &topics::APP_READY,
            &AppReady::new("guesser", "http://127.0.0.1:9/guess", &sid),
        )
        .await
        .unwrap();
    // … two apps answer the handshake; the first wins.
    for (name, url) in [
        ("first", "http://127.0.0.1:9/first"),
        ("second", "http://127.0.0.1:9/second"),
    ] {
        let ready = AppReady::new(name, url, &handshake);
        client
            .publish_json(&topics::APP_READY, &ready)
            .await
            .unwrap();
    }
    let mut seen = String::new();
    while !seen.contains("\n\n") {
        let chunk = tokio::time::timeout(WAIT, body.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(seen.contains("event: ready"), "{seen}");
    assert!(seen.contains("http://127.0.0.1:9/first"), "{seen}");
    // The page then opens the app by a meta refresh (a 303 would break CSP form-action).
    let page = browser.get("/waiting").await.text().await.unwrap();
    assert!(
        page.contains("content=\"0;url=http:&#x2f;&#x2f;127.0.0.1:9&#x2f;first\""),
        "{page}"
    );
}

#[tokio::test]
async fn an_unsafe_redirect_is_refused() {
    let broker = TestBroker::embedded();
    let (id, client) = start(&broker, None, IdentifyConfig::default()).await;
    add_user(&id.store, "erin", "long-enough", Role::User).await;
    let browser = Browser::new(&id.url);
    browser.login("erin", "long-enough").await;
    let sid = browser.session_id().unwrap();
    let mut dead = client
        .subscribe(
            &topics::dead_letter(&id.unit_id).unwrap().to_filter(),
            QoS::AtLeastOnce,
        )
        .await
        .unwrap();
    let evil = AppReady::new("evil", "javascript:alert(1)", &sid);
    client
        .publish_json(&topics::APP_READY, &evil)
        .await
        .unwrap();
    recv_within(&mut dead, WAIT, "the refused app/ready").await;
    let page = browser.get("/waiting").await;
    assert_eq!(page.status(), 200, "still waiting, not redirected");
}

#[tokio::test]
async fn when_no_app_answers_the_page_lists_the_apps_online() {
    let broker = TestBroker::embedded();
    let config = IdentifyConfig {
        handshake_timeout: Duration::from_millis(300),
        ..Default::default()
    };
    // Only these may have a web side (as the broker policy's `web = true` accounts).
    let trusted = modt::directory::WebUnits::only(["quiet-app", "evil-app"]);
    let (id, client) = support::start_trusting(&broker, None, config, trusted).await;
    add_user(&id.store, "finn", "long-enough", Role::User).await;
    // An app that is online but does not join handshakes.
    let info = UnitInfo {
        unit_id: "quiet-app".into(),
        name: "quiet-app".into(),
        kind: "app".into(),
        version: "1".into(),
        instance_id: "i".into(),
        started_at: modt::protocol::Timestamp::now(),
        http_url: Some("http://127.0.0.1:9/quiet".into()),
        serves: vec![],
        publishes: vec![],
        correlated: true,
        titles: [("en".to_string(), "Quiet app".to_string())].into(),
        admins_only: false,
    };
    let retained = |topic: modt::Topic, body: Vec<u8>| {
        let mut out = Outgoing::new(topic, body);
        out.retain = true;
        out
    };
    client
        .publish(retained(
            topics::unit_info("quiet-app").unwrap(),
            serde_json::to_vec(&info).unwrap(),
        ))
        .await
        .unwrap();
    client
        .publish(retained(
            topics::unit_status("quiet-app").unwrap(),
            b"online".to_vec(),
        ))
        .await
        .unwrap();
    // And one that advertises a script as its web side, under a misleading name.
    let evil = UnitInfo {
        unit_id: "evil-app".into(),
        name: "Your bank <b>".into(),
        http_url: Some("javascript:alert(1)".into()),
        ..info.clone()
    };
    // And a unit not trusted with a web side, announcing a plausible page.
    let stranger = UnitInfo {
        unit_id: "stranger".into(),
        name: "Log in again".into(),
        http_url: Some("http://127.0.0.1:9/phish".into()),
        ..info.clone()
    };
    for (id, info) in [("evil-app", &evil), ("stranger", &stranger)] {
        let body = serde_json::to_vec(info).unwrap();
        client
            .publish(retained(topics::unit_info(id).unwrap(), body))
            .await
            .unwrap();
        client
            .publish(retained(
                topics::unit_status(id).unwrap(),
                b"online".to_vec(),
            ))
            .await
            .unwrap();
    }

    let browser = Browser::new(&id.url);
    browser.login("finn", "long-enough").await;
    let mut events = browser.get("/waiting/events").await.bytes_stream();
    let chunk = tokio::time::timeout(WAIT, events.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(String::from_utf8_lossy(&chunk).contains("event: timeout"));
    modt_testkit::wait_until(WAIT, "the fallback page to list the app", || async {
        let page = browser.get("/waiting").await.text().await.unwrap();
        page.contains("http:&#x2f;&#x2f;127.0.0.1:9&#x2f;quiet")
            && page.contains("No app answered")
            && page.contains(">Quiet app</a>")
    })
    .await;
    let page = browser.get("/waiting").await.text().await.unwrap();
    assert!(
        page.contains("class=\"origin\">http:&#x2f;&#x2f;127.0.0.1:9<"),
        "each link shows where it goes: {page}"
    );
    assert!(
        !page.contains("javascript:") && !page.contains("Your bank"),
        "{page}"
    );
    assert!(
        !page.contains("phish") && !page.contains("Log in again"),
        "a unit not trusted with a web side is not linked: {page}"
    );
    // Clean up the retained announcements for other tests on this broker.
    for t in [
        topics::unit_info("quiet-app").unwrap(),
        topics::unit_status("quiet-app").unwrap(),
        topics::unit_info("evil-app").unwrap(),
        topics::unit_status("evil-app").unwrap(),
        topics::unit_info("stranger").unwrap(),
        topics::unit_status("stranger").unwrap(),
    ] {
        client.publish(retained(t, Vec::new())).await.unwrap();
    }
}

#[tokio::test]
async fn wrong_password_and_unknown_user_look_the_same() {
    let broker = TestBroker::embedded();
    let (id, _client) = start(&broker, None, IdentifyConfig::default()).await;
    add_user(&id.store, "gina", "long-enough", Role::User).await;
    let browser = Browser::new(&id.url);
    let wrong = browser.login("gina", "not-the-password").await;
    assert_eq!(wrong.status(), 401);
    let wrong = wrong.text().await.unwrap();
    let unknown = browser.login("nobody-here", "not-the-password").await;
    assert_eq!(unknown.status(), 401);
    let unknown = unknown.text().await.unwrap();
    let error = |html: &str| {
        let start = html.find("data-testid=\"error\">").unwrap() + 20;
        html[start..start + html[start..].find('<').unwrap()].to_string()
    };
    assert_eq!(error(&wrong), "Wrong user name or password.");
    assert_eq!(error(&wrong), error(&unknown));
    assert!(browser.session_id().is_none());
}

#[tokio::test]
async fn registration_errors_are_clear_and_in_the_visitors_language() {
    let broker = TestBroker::embedded();
    let (id, _client) = start(&broker, None, IdentifyConfig::default()).await;
    add_user(&id.store, "hana", "long-enough", Role::User).await;
    let browser = Browser::new(&id.url);
    let token = browser.csrf("/register").await;
    let cases = [
        (("HANA", "long-enough"), 409, "That user name is taken"),
        (("ok-name", "short"), 400, "at least 8 characters"),
        (
            ("a b", "long-enough"),
            400,
            "User names are 3–32 characters",
        ),
    ];
    for ((user, pw), status, text) in cases {
        let res = browser
            .post_form(
                "/register",
                &[("username", user), ("password", pw), ("csrf_token", &token)],
            )
            .await;
        assert_eq!(res.status(), status, "{user}");
        assert!(res.text().await.unwrap().contains(text), "{user}: {text}");
    }
    let res = browser
        .http
        .post(format!("{}/register", id.url))
        .header("origin", &id.url)
        .header("accept-language", "ja,en;q=0.5")
        .form(&[
            ("username", "hana"),
            ("password", "long-enough"),
            ("csrf_token", &token),
        ])
        .send()
        .await
        .unwrap();
    let html = res.text().await.unwrap();
    assert!(html.contains("<html lang=\"ja\">"), "{html}");
    assert!(
        html.contains("そのユーザー名は既に使われています"),
        "{html}"
    );
}

#[tokio::test]
async fn forms_without_a_valid_token_or_from_another_site_are_refused() {
    let broker = TestBroker::embedded();
    let (id, _client) = start(&broker, None, IdentifyConfig::default()).await;
    add_user(&id.store, "ivan", "long-enough", Role::User).await;
    let browser = Browser::new(&id.url);
    let token = browser.csrf("/login").await;
    let no_token = browser
        .post_form(
            "/login",
            &[("username", "ivan"), ("password", "long-enough")],
        )
        .await;
    assert_eq!(no_token.status(), 403);
    let cross = browser
        .http
        .post(format!("{}/login", id.url))
        .header("origin", "http://evil.example")
        .form(&[
            ("username", "ivan"),
            ("password", "long-enough"),
            ("csrf_token", &token),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), 403);
    assert!(browser.session_id().is_none());
    assert_eq!(browser.login("ivan", "long-enough").await.status(), 303);
}

#[tokio::test]
async fn failed_logins_are_throttled_per_user_name_and_per_address() {
    let broker = TestBroker::embedded();
    let config = IdentifyConfig {
        throttle: ThrottleConfig {
            window: Duration::from_secs(600),
            per_user: 3,
            per_address: 6,
            ..Default::default()
        },
        ..Default::default()
    };
    let (id, _client) = start(&broker, None, config).await;
    add_user(&id.store, "jun", "long-enough", Role::User).await;
    add_user(&id.store, "kai", "long-enough", Role::User).await;
    let browser = Browser::new(&id.url);
    for _ in 0..3 {
        assert_eq!(browser.login("jun", "wrong-password").await.status(), 401);
    }
    let locked = browser.login("jun", "long-enough").await;
    assert_eq!(locked.status(), 429, "even the right password waits");
    assert!(locked
        .text()
        .await
        .unwrap()
        .contains("Too many failed attempts"));
    assert_eq!(
        browser.login("kai", "long-enough").await.status(),
        303,
        "other names are fine"
    );

    // A new browser from the same address: 3 + 3 failures reach the address limit.
    let browser = Browser::new(&id.url);
    for i in 0..3 {
        browser
            .login(&format!("someone{i}"), "wrong-password")
            .await;
    }
    let res = browser.login("kai", "long-enough").await;
    assert_eq!(res.status(), 429, "the address is over its limit");

    // The JSON API shares the limits and says when to retry.
    let api = reqwest::Client::new()
        .post(format!("{}/api/login", id.url))
        .json(&serde_json::json!({"username": "kai", "password": "long-enough"}))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 429);
    assert!(api.headers().contains_key("retry-after"));
    let body: serde_json::Value = api.json().await.unwrap();
    assert_eq!(body["error"]["code"], "too_many_requests");
}

#[tokio::test]
async fn json_login_for_non_browser_clients() {
    let broker = TestBroker::embedded();
    let (id, client) = start(&broker, None, IdentifyConfig::default()).await;
    let user_id = add_user(&id.store, "lena", "long-enough", Role::Admin).await;
    let http = reqwest::Client::new();
    let res = http
        .post(format!("{}/api/login", id.url))
        .json(&serde_json::json!({"username": "lena", "password": "long-enough"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .contains("HttpOnly"));
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["user_id"], user_id.as_str());
    assert_eq!(body["role"], "admin");
    let sid = body["session_id"].as_str().unwrap();
    assert_eq!(sid.len(), 64);
    let info: modt::protocol::SessionInfo = client
        .request_json(
            &topics::SESSION_QUERY,
            &modt::protocol::SessionQuery::new(sid),
            modt::RequestOptions::new().timeout(WAIT),
        )
        .await
        .unwrap();
    assert_eq!(info.user_id.as_deref(), Some(user_id.as_str()));

    let wrong = http
        .post(format!("{}/api/login", id.url))
        .json(&serde_json::json!({"username": "lena", "password": "nope-nope"}))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let body: serde_json::Value = wrong.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthorized");
    let bad = http
        .post(format!("{}/api/login", id.url))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
}

#[tokio::test]
async fn security_headers_and_logout() {
    let broker = TestBroker::embedded();
    let (id, _client) = start(&broker, None, IdentifyConfig::default()).await;
    add_user(&id.store, "mina", "long-enough", Role::User).await;
    let browser = Browser::new(&id.url);
    let page = browser.get("/login").await;
    let h = page.headers();
    assert!(h["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("frame-ancestors 'none'"));
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["referrer-policy"], "same-origin");

    browser.login("mina", "long-enough").await;
    assert_eq!(
        browser.get("/").await.status(),
        200,
        "the signed-in home page"
    );
    // A link, from another site, the same site or none, only asks …
    for site in [
        Some("cross-site"),
        Some("same-site"),
        Some("same-origin"),
        None,
    ] {
        let mut req = browser.http.get(format!("{}/logout", id.url));
        if let Some(site) = site {
            req = req.header("sec-fetch-site", site);
        }
        let confirm = req.send().await.unwrap();
        assert_eq!(confirm.status(), 200);
        assert!(
            confirm.text().await.unwrap().contains("logout-confirm"),
            "a confirmation form ({site:?})"
        );
        assert!(
            browser.session_id().is_some(),
            "not logged out by a GET ({site:?})"
        );
    }
    // … a POST without the form's token does nothing …
    let forged = browser
        .post_form("/logout", &[("csrf_token", "forged")])
        .await;
    assert_eq!(location(&forged), "/logout");
    assert!(
        browser.session_id().is_some(),
        "not logged out without the token"
    );
    // … the form's POST logs out.
    let token = browser.csrf("/logout").await;
    let res = browser
        .post_form("/logout", &[("csrf_token", &token)])
        .await;
    assert_eq!(location(&res), "/login?bye=1");
    assert!(browser.session_id().is_none(), "the cookie is cleared");
    assert_eq!(location(&browser.get("/").await), "/login");
}

#[tokio::test]
async fn registrations_are_limited_per_address() {
    let broker = TestBroker::embedded();
    let config = IdentifyConfig {
        throttle: ThrottleConfig {
            registrations_per_address: 2,
            ..Default::default()
        },
        ..Default::default()
    };
    let (id, _client) = start(&broker, None, config).await;
    let browser = Browser::new(&id.url);
    let token = browser.csrf("/register").await;
    let register = |name: &'static str| {
        let (browser, token) = (&browser, token.clone());
        async move {
            browser
                .post_form(
                    "/register",
                    &[
                        ("username", name),
                        ("password", "long-enough"),
                        ("csrf_token", &token),
                    ],
                )
                .await
        }
    };
    // A taken name still costs a hash, so it counts too.
    assert_eq!(register("lena").await.status(), 303);
    assert_eq!(register("lena").await.status(), 409);
    let refused = register("mika").await;
    assert_eq!(refused.status(), 429);
    assert!(refused
        .text()
        .await
        .unwrap()
        .contains("Too many accounts were created from your address"));
    assert!(
        id.store.credentials("mika").await.unwrap().is_none(),
        "nothing was created"
    );
    // Logins from the same address are not affected.
    assert_eq!(browser.login("lena", "long-enough").await.status(), 303);
}

/// 60 guesses at once for one user from one address, against a limit of 5: each attempt is
/// counted before its password is checked, so at most 5 are checked (401) and the rest are
/// refused (429, or 503 while every hashing slot is busy), each with `Retry-After`. Before,
/// all 60 were checked (and hashed at once: 1.25 GB).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_guesses_cannot_beat_the_login_limit() {
    let broker = TestBroker::embedded();
    let (id, _client) = start(&broker, None, IdentifyConfig::default()).await;
    add_user(&id.store, "zed", "long-enough", Role::User).await;
    let http = reqwest::Client::new();
    let guesses = (0..60).map(|i| {
        let (http, url) = (http.clone(), format!("{}/api/login", id.url));
        async move {
            let res = http
                .post(url)
                .json(&serde_json::json!({"username": "zed", "password": format!("guess-{i}")}))
                .send()
                .await
                .unwrap();
            let retry = res.headers().contains_key("retry-after");
            (res.status().as_u16(), retry)
        }
    });
    let answers = futures::future::join_all(guesses).await;
    let checked = answers.iter().filter(|(s, _)| *s == 401).count();
    assert!(checked <= 5, "{checked} guesses were checked: {answers:?}");
    for (status, retry) in &answers {
        match status {
            401 => {}
            429 | 503 => assert!(retry, "{status} without Retry-After"),
            other => panic!("unexpected {other}: {answers:?}"),
        }
    }
}

/// A stranger's wrong guesses lock the user out only where they come from: the right
/// password from another address (another device) still logs in.
#[tokio::test]
async fn guesses_from_one_address_do_not_lock_the_user_out_elsewhere() {
    let broker = TestBroker::embedded();
    let config = IdentifyConfig {
        trust_proxy: true,
        ..Default::default()
    };
    let (id, _client) = start(&broker, None, config).await;
    add_user(&id.store, "mia", "long-enough", Role::User).await;
    let http = reqwest::Client::new();
    let login = |from: &'static str, password: &'static str| {
        let (http, url) = (http.clone(), format!("{}/api/login", id.url));
        async move {
            http.post(url)
                .header("x-forwarded-for", from)
                .json(&serde_json::json!({"username": "mia", "password": password}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    for _ in 0..5 {
        assert_eq!(login("203.0.113.9", "wrong-guess").await, 401);
    }
    assert_eq!(
        login("203.0.113.9", "long-enough").await,
        429,
        "the guesser's address waits"
    );
    assert_eq!(
        login("198.51.100.7", "long-enough").await,
        200,
        "mia's own device logs in"
    );
}
