//! The identify unit over MQTT: session queries in both reply styles, expiry, logout, and
//! sessions that outlive a restart of the unit.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use modt::protocol::{topics, SessionInfo, SessionQuery, SessionStatus};
use modt::{Client, QoS};
use modt_identify::sessions::SessionKey;
use modt_identify::store::NewSession;
use modt_identify::{IdentifyConfig, Role};
use modt_testkit::{recv_within, BrokerKind, TestBroker};
use support::{add_user, start, Browser};

const WAIT: Duration = Duration::from_secs(5);

async fn query_private(client: &Client, session_id: &str) -> SessionInfo {
    client
        .request_json(
            &topics::SESSION_QUERY,
            &SessionQuery::new(session_id),
            modt::RequestOptions::new().timeout(WAIT),
        )
        .await
        .unwrap()
}

async fn query_legacy(client: &Client, session_id: &str) -> SessionInfo {
    let mut sub = client
        .subscribe(&topics::SESSION_INFO.to_filter(), QoS::AtLeastOnce)
        .await
        .unwrap();
    client
        .publish_json(&topics::SESSION_QUERY, &SessionQuery::new(session_id))
        .await
        .unwrap();
    loop {
        let msg = recv_within(&mut sub, WAIT, "modt/session/info").await;
        let info: SessionInfo = msg.json().unwrap();
        if info.session_id == session_id {
            return info;
        }
    }
}

async fn session_queries_on(kind: BrokerKind) {
    let Some(broker) = TestBroker::start(kind) else {
        return;
    };
    let (id, client) = start(&broker, None, IdentifyConfig::default()).await;
    let user_id = add_user(&id.store, "alice", "secret-pass", Role::Admin).await;
    let browser = Browser::new(&id.url);
    assert_eq!(browser.login("alice", "secret-pass").await.status(), 303);
    let sid = browser.session_id().expect("a session cookie");

    // Correlated: private, with the login name.
    let info = query_private(&client, &sid).await;
    assert_eq!(info.status, SessionStatus::Valid);
    assert_eq!(info.user_id.as_deref(), Some(user_id.as_str()));
    assert_eq!(info.role.as_deref(), Some("admin"));
    assert_eq!(info.username.as_deref(), Some("alice"));

    // Legacy: the original's broadcast, byte-compatible (no extension fields).
    let info = query_legacy(&client, &sid).await;
    assert_eq!(info.status, SessionStatus::Valid);
    assert_eq!(info.user_id.as_deref(), Some(user_id.as_str()));
    assert_eq!(info.username, None);

    for bogus in ["no-such-session", ""] {
        let info = query_private(&client, bogus).await;
        assert_eq!(info.status, SessionStatus::Invalid, "{bogus:?}");
        assert_eq!((info.user_id, info.role), (None, None));
        let info = query_legacy(&client, bogus).await;
        assert_eq!(info.status, SessionStatus::Invalid);
    }

    // Logout (the confirmed form) revokes.
    let token = browser.csrf("/logout").await;
    let out = browser
        .post_form("/logout", &[("csrf_token", &token)])
        .await;
    assert_eq!(out.status(), 303);
    assert_eq!(
        query_private(&client, &sid).await.status,
        SessionStatus::Invalid
    );
}

#[tokio::test]
async fn session_queries_embedded() {
    session_queries_on(BrokerKind::Embedded).await;
}

#[tokio::test]
async fn session_queries_mosquitto() {
    session_queries_on(BrokerKind::Mosquitto).await;
}

/// An idle session reads as invalid over MQTT and sends its browser back to the login page.
/// No waiting: the idle session is stored as last used longer ago than the limit (the
/// passing of time itself is tested on paused time in `core.rs` and the store suite).
#[tokio::test]
async fn idle_sessions_expire() {
    let broker = TestBroker::embedded();
    let config = IdentifyConfig {
        session_idle: Duration::from_secs(60),
        ..Default::default()
    };
    let (id, client) = start(&broker, None, config).await;
    let user_id = add_user(&id.store, "bob", "secret-pass", Role::User).await;
    let now = modt_identify::store::unix_now();
    let session = |sid: &str, last_used: i64| NewSession {
        key: SessionKey::of(sid),
        user_id: user_id.clone(),
        now: last_used,
        expires_at: now + 3600,
    };
    id.store
        .create_session(session("fresh-session", now - 59))
        .await
        .unwrap();
    id.store
        .create_session(session("idle-session", now - 61))
        .await
        .unwrap();
    assert_eq!(
        query_private(&client, "fresh-session").await.status,
        SessionStatus::Valid
    );
    assert_eq!(
        query_private(&client, "idle-session").await.status,
        SessionStatus::Invalid
    );
    // And the pages agree: the waiting page sends an idle session back to log in.
    let browser = Browser::new(&id.url);
    let url: reqwest::Url = id.url.parse().unwrap();
    browser
        .jar
        .add_cookie_str("modt_session_id=idle-session", &url);
    let res = browser.get("/waiting").await;
    assert_eq!(support::location(&res), "/login");
}

#[tokio::test]
async fn sessions_survive_a_restart_of_the_unit() {
    let broker = TestBroker::embedded();
    let (id, client) = start(&broker, None, IdentifyConfig::default()).await;
    add_user(&id.store, "carol", "secret-pass", Role::User).await;
    let browser = Browser::new(&id.url);
    browser.login("carol", "secret-pass").await;
    let sid = browser.session_id().unwrap();
    let dir = id.stop().await;

    let (id, _client2) = start(&broker, Some(dir), IdentifyConfig::default()).await;
    let info = query_private(&client, &sid).await;
    assert_eq!(info.status, SessionStatus::Valid);
    assert_eq!(info.username.as_deref(), Some("carol"));
    drop(id);
}

#[tokio::test]
async fn a_bad_query_is_dead_lettered_and_answered() {
    let broker = TestBroker::embedded();
    let (id, client) = start(&broker, None, IdentifyConfig::default()).await;
    let mut dead = client
        .subscribe(
            &topics::dead_letter(&id.unit_id).unwrap().to_filter(),
            QoS::AtLeastOnce,
        )
        .await
        .unwrap();
    let err = client
        .request_json::<_, SessionInfo>(
            &topics::SESSION_QUERY,
            &serde_json::json!({"nope": 1}),
            modt::RequestOptions::new().timeout(WAIT),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err.kind(), modt::RequestErrorKind::ErrorReply(_)),
        "{err}"
    );
    let msg = recv_within(&mut dead, WAIT, "a dead letter").await;
    assert!(msg.text().contains("session_id"), "{}", msg.text());
}
