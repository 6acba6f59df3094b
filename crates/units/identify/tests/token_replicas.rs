//! Two replicas of the identify unit sharing one PostgreSQL database and one broker: they
//! start with one signing key between them, each token request is answered once, a refresh
//! token spent on one is spent on both, failed logins on either count toward one throttle,
//! and a rotation made on the database reaches both. Skipped with a printed reason without
//! PostgreSQL (unless `MODT_REQUIRE_POSTGRES=1`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use modt::protocol::{topics, ErrorCode};
use modt::{Client, MqttVersion, QoS};
use modt_identify::throttle::ThrottleConfig;
use modt_identify::tokens::TokenConfig;
use modt_identify::{IdentifyConfig, Role};
use modt_store::{Location, PostgresUrl};
use modt_testkit::{client_id, wait_online, RunningUnit};
use support::add_user;
use support::tokens::{broker, call, creds, kid_of, login, next_jwks, refresh, verify, WAIT};

#[tokio::test]
async fn replicas_on_postgres_share_their_keys_and_answer_each_request_once() {
    let Some(db) = modt_testkit::postgres::test_database().await else {
        return;
    };
    let at = Location::postgres(
        PostgresUrl::parse(&db.url).unwrap(),
        modt_identify::store::SCHEMA,
    )
    .unwrap();
    let broker = broker();
    let config = IdentifyConfig {
        tokens: TokenConfig {
            key_reload_every: Duration::from_millis(100),
            // No reuse grace: the reuse right after the refresh below is theft (the grace
            // itself is tested on both backends in the store suite).
            reuse_grace: Duration::ZERO,
            ..TokenConfig::default()
        },
        ..IdentifyConfig::default()
    };
    let client = Client::connect(broker.client_config("test", MqttVersion::V5))
        .await
        .unwrap();
    let mut replicas = Vec::new();
    for _ in 0..2 {
        let store = modt_identify::store::open(&at).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let unit_id = client_id("identify");
        let unit = modt_identify::unit(store.clone(), config.clone(), listener)
            .unwrap()
            .unit_id(&unit_id);
        let running = RunningUnit::start(unit, broker.client_config("identify", MqttVersion::V5));
        replicas.push((running, store, unit_id));
    }
    for (_, _, unit_id) in &replicas {
        wait_online(&client, unit_id).await;
    }
    let store = replicas[0].1.clone();
    let keys = store.signing_keys().await.unwrap();
    assert_eq!(keys.len(), 1, "replicas starting together make one key");
    add_user(&store, "ann", "secret-pass", Role::User).await;

    let mut jwks = client
        .subscribe(&topics::AUTH_JWKS.to_filter(), QoS::AtLeastOnce)
        .await
        .unwrap();
    let set = next_jwks(&mut jwks).await;
    assert_eq!(set.keys.len(), 1);
    let tokens = login(&client, "ann", "secret-pass").await;
    verify(&tokens.access_token, &set).unwrap();
    let families: i64 = {
        let conn = tokio_postgres::connect(&db.url, tokio_postgres::NoTls)
            .await
            .unwrap();
        let (c, task) = conn;
        tokio::spawn(task);
        c.query_one(
            "SELECT count(DISTINCT family_id) FROM modt_identify.refresh_tokens",
            &[],
        )
        .await
        .unwrap()
        .get(0)
    };
    assert_eq!(families, 1, "one login, answered by one replica");

    // Sessions: a refresh token spent on one replica is spent on both (the replicas alternate,
    // so the reuse reaches the other one most times); reusing it is refused.
    let renewed = refresh(&client, &tokens.refresh_token).await.unwrap();
    let reused = refresh(&client, &tokens.refresh_token).await.unwrap_err();
    assert_eq!(reused.code, ErrorCode::Unauthorized, "{reused:?}");
    assert!(
        refresh(&client, &renewed.refresh_token).await.is_err(),
        "the reuse revoked the family on both replicas"
    );

    // Throttles: failed logins counted on either replica count together, so the limit per
    // user and address (5) holds across both instead of 5 on each.
    let per_user = ThrottleConfig::default().per_user;
    for _ in 0..per_user {
        let failed = call(
            &client,
            &topics::AUTH_TOKEN_LOGIN,
            creds("ann", "wrong"),
            "10.0.0.9",
            None,
        )
        .await
        .unwrap_err();
        assert_eq!(failed.code, ErrorCode::Unauthorized, "{failed:?}");
    }
    for _ in 0..2 {
        let throttled = call(
            &client,
            &topics::AUTH_TOKEN_LOGIN,
            creds("ann", "secret-pass"),
            "10.0.0.9",
            None,
        )
        .await
        .unwrap_err();
        assert_eq!(throttled.code, ErrorCode::TooManyRequests, "{throttled:?}");
        // The wait travels as a field, so the gateway can send it on as Retry-After.
        let wait = throttled
            .retry_after
            .expect("a throttled login says how long to wait");
        assert!(
            (1..=ThrottleConfig::default().window.as_secs()).contains(&wait),
            "{wait}"
        );
    }

    let new_kid =
        modt_identify::tokens::rotate_key(store.as_ref(), modt_identify::store::unix_now())
            .await
            .unwrap();
    // Both replicas pick it up: a run of logins, spread over both, all end up on the new key.
    let deadline = tokio::time::Instant::now() + WAIT;
    let mut in_a_row = 0;
    while in_a_row < 6 {
        let fresh = login(&client, "ann", "secret-pass").await;
        in_a_row = if kid_of(&fresh.access_token) == new_kid {
            in_a_row + 1
        } else {
            0
        };
        assert!(
            tokio::time::Instant::now() < deadline,
            "the replicas did not both sign with the new key"
        );
    }
    for (running, store, _) in replicas {
        running.stop().await.unwrap();
        store.close();
    }
}
