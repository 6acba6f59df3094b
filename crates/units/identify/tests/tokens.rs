//! The token API over MQTT on the embedded broker, with the unit's SQLite store: tokens the
//! published JWK Set verifies, registration, refresh rotation and reuse detection, logout,
//! logout everywhere, a key rotation picked up by the running unit, and the login throttle
//! shared with the web login.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use modt::protocol::{
    topics, AccessClaims, ApiReply, ApiRequest, Caller, Credentials, ErrorBody, ErrorCode,
    RefreshRequest, TokenPair, Topic,
};
use modt::{Client, QoS, RequestOptions};
use modt_identify::throttle::ThrottleConfig;
use modt_identify::tokens::TokenConfig;
use modt_identify::{IdentifyConfig, Role};
use modt_testkit::{recv_within, BrokerKind, TestBroker};
use support::{add_user, start};

const WAIT: Duration = Duration::from_secs(10);

/// Sends `body` as the gateway would, from `addr`; the reply or the error reply.
async fn call(
    client: &Client,
    topic: &Topic,
    body: serde_json::Value,
    addr: &str,
    caller: Option<Caller>,
) -> Result<ApiReply, ErrorBody> {
    let mut req = ApiRequest::new("POST", "/auth");
    req.body = Some(body);
    req.client_addr = Some(addr.to_string());
    req.caller = caller;
    let options = RequestOptions::new().timeout(WAIT);
    match client
        .request_json::<_, ApiReply>(topic, &req, options)
        .await
    {
        Ok(reply) => Ok(reply),
        Err(e) => Err(e.error_reply().cloned().unwrap_or_else(|| panic!("{e}"))),
    }
}

fn creds(username: &str, password: &str) -> serde_json::Value {
    serde_json::to_value(Credentials {
        username: username.into(),
        password: password.into(),
    })
    .unwrap()
}

fn refresh_body(token: &str) -> serde_json::Value {
    serde_json::to_value(RefreshRequest {
        refresh_token: token.into(),
    })
    .unwrap()
}

fn pair(reply: ApiReply) -> TokenPair {
    serde_json::from_value(reply.body.expect("a body")).unwrap()
}

async fn login(client: &Client, user: &str, password: &str) -> TokenPair {
    let reply = call(
        client,
        &topics::AUTH_TOKEN_LOGIN,
        creds(user, password),
        "10.0.0.1",
        None,
    )
    .await
    .unwrap();
    assert_eq!(reply.status, 200);
    pair(reply)
}

async fn refresh(client: &Client, token: &str) -> Result<TokenPair, ErrorBody> {
    call(
        client,
        &topics::AUTH_TOKEN_REFRESH,
        refresh_body(token),
        "10.0.0.1",
        None,
    )
    .await
    .map(pair)
}

/// The next JWK Set published (the retained one first).
async fn next_jwks(sub: &mut modt::Subscription) -> JwkSet {
    recv_within(sub, WAIT, "the JWK Set").await.json().unwrap()
}

/// Verifies `token` against `set` as a gateway does.
fn verify(token: &str, set: &JwkSet) -> Result<AccessClaims, String> {
    let kid = kid_of(token);
    let jwk = set.find(&kid).ok_or(format!("no key {kid} in the set"))?;
    let key = DecodingKey::from_jwk(jwk).map_err(|e| e.to_string())?;
    let mut v = Validation::new(Algorithm::EdDSA);
    v.set_issuer(&[modt::protocol::token::DEFAULT_ISSUER]);
    v.set_audience(&[modt::protocol::token::DEFAULT_AUDIENCE]);
    jsonwebtoken::decode::<AccessClaims>(token, &key, &v)
        .map(|d| d.claims)
        .map_err(|e| e.to_string())
}

fn kid_of(token: &str) -> String {
    jsonwebtoken::decode_header(token)
        .unwrap()
        .kid
        .expect("a kid")
}

fn broker() -> TestBroker {
    TestBroker::start(BrokerKind::Embedded).unwrap()
}

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

#[tokio::test]
async fn refresh_rotates_and_a_reused_token_revokes_its_family() {
    let broker = broker();
    let (id, client) = start(&broker, None, IdentifyConfig::default()).await;
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
