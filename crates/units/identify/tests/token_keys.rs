//! The token API's keys and throttle over MQTT on the embedded broker: a key rotation made on
//! the unit's database while it runs is published before the new key signs, and token logins
//! count against the same throttle as the web login; the set is published again after the
//! broker restarts.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use modt::protocol::{topics, ErrorCode};
use modt::{Client, MqttVersion, QoS};
use modt_identify::throttle::ThrottleConfig;
use modt_identify::tokens::TokenConfig;
use modt_identify::{IdentifyConfig, Role};
use support::tokens::{broker, call, creds, kid_of, login, next_jwks, refresh, verify, WAIT};
use support::{add_user, start};

#[tokio::test]
async fn a_key_rotation_is_published_before_the_new_key_signs() {
    let broker = broker();
    let config = IdentifyConfig {
        tokens: TokenConfig {
            key_reload_every: Duration::from_millis(100),
            ..TokenConfig::default()
        },
        ..IdentifyConfig::default()
    };
    let (id, client) = start(&broker, None, config).await;
    add_user(&id.store, "ann", "secret-pass", Role::User).await;
    let mut jwks = client
        .subscribe(&topics::AUTH_JWKS.to_filter(), QoS::AtLeastOnce)
        .await
        .unwrap();
    let before = next_jwks(&mut jwks).await;
    let old = login(&client, "ann", "secret-pass").await;
    let old_kid = kid_of(&old.access_token);
    assert!(before.find(&old_kid).is_some());

    // As `modt auth rotate-key` does, on the unit's database while it runs.
    let now = modt_identify::store::unix_now();
    let new_kid = modt_identify::tokens::rotate_key(id.store.as_ref(), now)
        .await
        .unwrap();
    let after = next_jwks(&mut jwks).await;
    assert_eq!(after.keys.len(), 2);
    assert!(after.find(&new_kid).is_some());
    verify(&old.access_token, &after).expect("the old key's tokens still verify");

    // Every token is signed by a key the last set holds; the new key signs once the unit
    // installed what it published.
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let fresh = login(&client, "ann", "secret-pass").await;
        verify(&fresh.access_token, &after).expect("verifies with the published set");
        if kid_of(&fresh.access_token) == new_kid {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no token signed by the new key"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let refreshed = refresh(&client, &old.refresh_token).await.unwrap();
    assert_eq!(kid_of(&refreshed.access_token), new_kid);
    id.stop().await;
}

#[tokio::test]
async fn token_logins_share_the_web_login_throttle() {
    let broker = broker();
    let config = IdentifyConfig {
        throttle: ThrottleConfig {
            per_user: 2,
            ..ThrottleConfig::default()
        },
        ..IdentifyConfig::default()
    };
    let (id, client) = start(&broker, None, config).await;
    add_user(&id.store, "ann", "secret-pass", Role::User).await;
    let topic = &topics::AUTH_TOKEN_LOGIN;

    // One failure on the page's API (from 127.0.0.1), one over MQTT from the same address.
    let web = reqwest::Client::new()
        .post(format!("{}/api/login", id.url))
        .json(&creds("ann", "wrong-pass"))
        .send()
        .await
        .unwrap();
    assert_eq!(web.status(), 401);
    let wrong = call(
        &client,
        topic,
        creds("ann", "wrong-pass"),
        "127.0.0.1",
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(wrong.code, ErrorCode::Unauthorized);

    let throttled = call(
        &client,
        topic,
        creds("ann", "secret-pass"),
        "127.0.0.1",
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(throttled.code, ErrorCode::TooManyRequests);
    assert!(
        throttled.message.contains("retry in"),
        "{}",
        throttled.message
    );
    let elsewhere = call(
        &client,
        topic,
        creds("ann", "secret-pass"),
        "10.9.9.9",
        None,
    )
    .await
    .unwrap();
    assert_eq!(
        elsewhere.status, 200,
        "the user on another device is not locked out"
    );
    id.stop().await;
}

#[tokio::test]
async fn the_jwk_set_is_published_again_after_the_broker_restarts() {
    let mut broker = broker();
    let (id, client) = start(&broker, None, IdentifyConfig::default()).await;
    let mut jwks = client
        .subscribe(&topics::AUTH_JWKS.to_filter(), QoS::AtLeastOnce)
        .await
        .unwrap();
    let before = next_jwks(&mut jwks).await;

    // The embedded broker keeps retained messages in memory: a restart loses them.
    broker.restart();
    let late = Client::connect(broker.client_config("late", MqttVersion::V5))
        .await
        .unwrap();
    let mut again = late
        .subscribe(&topics::AUTH_JWKS.to_filter(), QoS::AtLeastOnce)
        .await
        .unwrap();
    assert_eq!(
        next_jwks(&mut again).await,
        before,
        "long before the next reload"
    );
    id.stop().await;
}
