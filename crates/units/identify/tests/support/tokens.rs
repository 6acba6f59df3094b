//! Calling the token API as the gateway does (an `ApiRequest` over MQTT) and verifying its
//! access tokens as the gateway does (the JWK Set, EdDSA, issuer and audience).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use modt::protocol::{
    topics, AccessClaims, ApiReply, ApiRequest, Caller, Credentials, ErrorBody, RefreshRequest,
    TokenPair, Topic,
};
use modt::{Client, RequestOptions};
use modt_testkit::{recv_within, BrokerKind, TestBroker};

pub(crate) const WAIT: Duration = Duration::from_secs(10);

/// Sends `body` as the gateway would, from `addr`; the reply or the error reply.
pub(crate) async fn call(
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

pub(crate) fn creds(username: &str, password: &str) -> serde_json::Value {
    serde_json::to_value(Credentials {
        username: username.into(),
        password: password.into(),
    })
    .unwrap()
}

pub(crate) fn refresh_body(token: &str) -> serde_json::Value {
    serde_json::to_value(RefreshRequest {
        refresh_token: token.into(),
    })
    .unwrap()
}

pub(crate) fn pair(reply: ApiReply) -> TokenPair {
    serde_json::from_value(reply.body.expect("a body")).unwrap()
}

pub(crate) async fn login(client: &Client, user: &str, password: &str) -> TokenPair {
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

pub(crate) async fn refresh(client: &Client, token: &str) -> Result<TokenPair, ErrorBody> {
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
pub(crate) async fn next_jwks(sub: &mut modt::Subscription) -> JwkSet {
    recv_within(sub, WAIT, "the JWK Set").await.json().unwrap()
}

/// Verifies `token` against `set` as a gateway does.
pub(crate) fn verify(token: &str, set: &JwkSet) -> Result<AccessClaims, String> {
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

pub(crate) fn kid_of(token: &str) -> String {
    jsonwebtoken::decode_header(token)
        .unwrap()
        .kid
        .expect("a kid")
}

pub(crate) fn broker() -> TestBroker {
    TestBroker::start(BrokerKind::Embedded).unwrap()
}
