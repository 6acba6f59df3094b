//! The token API over MQTT on the embedded broker, with the unit's SQLite store: tokens the
//! published JWK Set verifies, registration, refresh rotation and reuse detection, logout and
//! logout everywhere.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use jsonwebtoken::jwk::JwkSet;
use modt::protocol::{topics, Caller, ErrorCode};
use modt::QoS;
use modt_identify::{IdentifyConfig, Role};
use support::tokens::{broker, call, creds, login, next_jwks, pair, refresh, refresh_body, verify};
use support::{add_user, start};
#[tokio::test]
async fn a_login_gets_a_token_the_published_jwk_set_verifies() {
    let broker = broker();
    let (id, client) = start(&broker, None, IdentifyConfig::default()).await;
    let user_id = add_user(&id.store, "ann", "secret-pass", Role::Admin).await;
    let mut jwks = client
        .subscribe(&topics::AUTH_JWKS.to_filter(), QoS::AtLeastOnce)
        .await
        .unwrap();
    let set = next_jwks(&mut jwks).await;
    assert_eq!(set.keys.len(), 1, "a new store gets its first key");

    let tokens = login(&client, "ann", "secret-pass").await;
    assert_eq!(tokens.token_type, "Bearer");
    assert_eq!(tokens.expires_in, 300);
    assert_eq!(tokens.refresh_expires_in, 14 * 24 * 3600);
    let claims = verify(&tokens.access_token, &set).unwrap();
    assert_eq!(claims.sub, user_id);
    assert_eq!(claims.name, "ann");
    assert_eq!(claims.role, Role::Admin);
    assert_eq!(claims.exp - claims.iat, 300);

    // The same set over HTTP.
    let served: JwkSet = reqwest::get(format!("{}/.well-known/jwks.json", id.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(served, set);

    for (user, password) in [("ann", "wrong-pass"), ("nobody", "secret-pass")] {
        let refused = call(
            &client,
            &topics::AUTH_TOKEN_LOGIN,
            creds(user, password),
            "10.0.0.2",
            None,
        )
        .await
        .unwrap_err();
        assert_eq!(refused.code, ErrorCode::Unauthorized, "{user}");
        assert_eq!(refused.message, "wrong user name or password");
    }
    let garbled = call(
        &client,
        &topics::AUTH_TOKEN_LOGIN,
        serde_json::json!({"user": "ann"}),
        "10.0.0.2",
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(
        garbled.code,
        ErrorCode::Unprocessable,
        "never bad_request, whose payload would go to the dead-letter topic"
    );
    let wrong_type = call(
        &client,
        &topics::AUTH_TOKEN_LOGIN,
        serde_json::json!({"username": "ann", "password": ["hunter22"]}),
        "10.0.0.2",
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(wrong_type.code, ErrorCode::Unprocessable);
    assert!(
        !format!("{wrong_type:?}").contains("hunter22"),
        "{wrong_type:?}"
    );
    id.stop().await;
}

#[tokio::test]
async fn registration_answers_201_and_refuses_by_the_account_rules() {
    let broker = broker();
    let (id, client) = start(&broker, None, IdentifyConfig::default()).await;
    let topic = &topics::AUTH_TOKEN_REGISTER;
    let reply = call(
        &client,
        topic,
        creds("newbie", "long-enough"),
        "10.0.0.3",
        None,
    )
    .await
    .unwrap();
    assert_eq!(reply.status, 201);
    let tokens = pair(reply);
    assert!(!tokens.refresh_token.is_empty());
    let user = id.store.credentials("newbie").await.unwrap().unwrap().user;
    assert_eq!(user.role, Role::User);
    let web_login = support::Browser::new(&id.url);
    assert_eq!(
        web_login.login("newbie", "long-enough").await.status(),
        303,
        "the same account logs in on the page"
    );

    let taken = call(
        &client,
        topic,
        creds("NEWBIE", "long-enough"),
        "10.0.0.3",
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(taken.code, ErrorCode::Conflict);
    for (name, password, field) in [
        ("a", "long-enough", "/username"),
        ("bad name", "long-enough", "/username"),
        ("okname", "short", "/password"),
    ] {
        let refused = call(&client, topic, creds(name, password), "10.0.0.3", None)
            .await
            .unwrap_err();
        assert_eq!(refused.code, ErrorCode::Unprocessable, "{name}");
        assert_eq!(refused.details.len(), 1);
        assert_eq!(refused.details[0].field, field, "{name}");
    }
    id.stop().await;
}

/// `IdentifyConfig` with a refresh-token reuse grace of `grace`.
fn with_grace(grace: Duration) -> IdentifyConfig {
    let mut config = IdentifyConfig::default();
    config.tokens.reuse_grace = grace;
    config
}

#[tokio::test]
async fn refresh_rotates_and_a_reused_token_revokes_its_family() {
    let broker = broker();
    // No grace: the reuse right after the rotation below is theft.
    let (id, client) = start(&broker, None, with_grace(Duration::ZERO)).await;
    add_user(&id.store, "ann", "secret-pass", Role::User).await;
    let first = login(&client, "ann", "secret-pass").await;
    let other_login = login(&client, "ann", "secret-pass").await;

    let second = refresh(&client, &first.refresh_token).await.unwrap();
    assert_ne!(second.refresh_token, first.refresh_token);
    assert_ne!(second.access_token, first.access_token);
    let third = refresh(&client, &second.refresh_token).await.unwrap();

    // The first token comes back: a copy exists. Everything of that login ends.
    let reused = refresh(&client, &first.refresh_token).await.unwrap_err();
    assert_eq!(reused.code, ErrorCode::Unauthorized);
    let after = refresh(&client, &third.refresh_token).await.unwrap_err();
    assert_eq!(after.code, ErrorCode::Unauthorized, "the family is revoked");
    refresh(&client, &other_login.refresh_token)
        .await
        .expect("another login stands");

    let unknown = refresh(&client, "not-a-token").await.unwrap_err();
    assert_eq!(unknown.code, ErrorCode::Unauthorized);
    id.stop().await;
}

#[tokio::test]
async fn two_tabs_refreshing_with_one_token_both_get_a_pair_of_its_family() {
    let broker = broker();
    // A grace far longer than the test, so a slow machine cannot move the second call out.
    let (id, client) = start(&broker, None, with_grace(Duration::from_secs(3600))).await;
    add_user(&id.store, "ann", "secret-pass", Role::User).await;
    let first = login(&client, "ann", "secret-pass").await;
    let (a, b) = tokio::join!(
        refresh(&client, &first.refresh_token),
        refresh(&client, &first.refresh_token)
    );
    let (a, b) = (a.expect("one tab"), b.expect("the other tab"));
    assert_ne!(a.refresh_token, b.refresh_token);
    refresh(&client, &a.refresh_token)
        .await
        .expect("first tab's");
    refresh(&client, &b.refresh_token)
        .await
        .expect("second tab's");
    // Logging out with either token ends the one family both belong to.
    let out = call(
        &client,
        &topics::AUTH_TOKEN_LOGOUT,
        refresh_body(&first.refresh_token),
        "10.0.0.1",
        None,
    )
    .await
    .unwrap();
    assert_eq!(out.status, 204);
    let after = refresh(&client, &first.refresh_token).await.unwrap_err();
    assert_eq!(after.code, ErrorCode::Unauthorized, "the family is revoked");
    id.stop().await;
}

#[tokio::test]
async fn logout_ends_one_login_and_logout_all_every_one() {
    let broker = broker();
    let (id, client) = start(&broker, None, IdentifyConfig::default()).await;
    let user_id = add_user(&id.store, "ann", "secret-pass", Role::User).await;
    let a = login(&client, "ann", "secret-pass").await;
    let b = login(&client, "ann", "secret-pass").await;
    let c = login(&client, "ann", "secret-pass").await;

    let out = call(
        &client,
        &topics::AUTH_TOKEN_LOGOUT,
        refresh_body(&a.refresh_token),
        "10.0.0.1",
        None,
    )
    .await
    .unwrap();
    assert_eq!((out.status, out.body), (204, None));
    assert_eq!(
        refresh(&client, &a.refresh_token).await.unwrap_err().code,
        ErrorCode::Unauthorized
    );
    let b2 = refresh(&client, &b.refresh_token).await.unwrap();

    let all = &topics::AUTH_TOKEN_LOGOUT_ALL;
    let anonymous = call(&client, all, serde_json::json!({}), "10.0.0.1", None)
        .await
        .unwrap_err();
    assert_eq!(anonymous.code, ErrorCode::Unauthorized);
    let caller = Caller {
        user_id,
        username: "ann".into(),
        role: Role::User,
        tenant: None,
    };
    let out = call(
        &client,
        all,
        serde_json::json!({}),
        "10.0.0.1",
        Some(caller),
    )
    .await
    .unwrap();
    assert_eq!(out.status, 204);
    for token in [&b2.refresh_token, &c.refresh_token] {
        let refused = refresh(&client, token).await.unwrap_err();
        assert_eq!(refused.code, ErrorCode::Unauthorized);
    }
    id.stop().await;
}
