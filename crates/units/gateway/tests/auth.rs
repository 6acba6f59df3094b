//! Who may call: bearer tokens (signature, key, issuer, audience, expiry, role) and the
//! session cookie (with the origin check on writes), on a real broker over real HTTP.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use modt::protocol::Role;
use serde_json::Value;
use support::{claims, publish_jwks, Harness, TestKey, APP_ORIGIN, LIVE_SESSION};

async fn refused(h: &Harness, path: &str, token: &str) -> (u16, String) {
    let res = h.get(path).bearer_auth(token).send().await.unwrap();
    let status = res.status().as_u16();
    let body: Value = res.json().await.unwrap();
    (
        status,
        body["error"]["message"].as_str().unwrap_or("").to_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_tokens_are_refused() {
    let h = Harness::start().await;
    // None at all: 401 saying how.
    let res = h.get("/echo/1").send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Bearer"));
    let res = h
        .get("/echo/1")
        .header("authorization", "Basic YTpi")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);

    assert_eq!(refused(&h, "/echo/1", "not.a.token").await.0, 401);

    let mut expired = claims("u-ann", Role::User);
    expired.iat -= 7200;
    expired.exp = support::now() - 3600;
    let (status, message) = refused(&h, "/echo/1", &h.key.sign(&expired)).await;
    assert_eq!(
        (status, message.contains("expired")),
        (401, true),
        "{message}"
    );

    let mut other_aud = claims("u-ann", Role::User);
    other_aud.aud = "another-api".into();
    assert_eq!(refused(&h, "/echo/1", &h.key.sign(&other_aud)).await.0, 401);
    let mut other_iss = claims("u-ann", Role::User);
    other_iss.iss = "someone-else".into();
    assert_eq!(refused(&h, "/echo/1", &h.key.sign(&other_iss)).await.0, 401);

    // A key nobody published, under the real kid: the signature does not verify.
    let forger = TestKey::new("key-1");
    let forged = forger.sign(&claims("u-mallory", Role::Admin));
    assert_eq!(refused(&h, "/admin", &forged).await.0, 401);
    // Under a kid nobody published: refused after at most one refetch.
    let unknown = TestKey::new("key-x").sign(&claims("u-mallory", Role::Admin));
    let (status, message) = refused(&h, "/admin", &unknown).await;
    assert_eq!(
        (status, message.contains("unknown key")),
        (401, true),
        "{message}"
    );

    // A real user token with the role in its payload changed to admin.
    let token = h.token("u-ann", Role::User);
    let parts: Vec<&str> = token.split('.').collect();
    let mut payload: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    payload["role"] = "admin".into();
    let altered = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&payload).unwrap()),
        parts[2]
    );
    assert_eq!(refused(&h, "/admin", &altered).await.0, 401);

    // The real token: a user is not an admin; an admin is.
    assert_eq!(refused(&h, "/admin", &token).await.0, 403);
    let admin = h.token("u-root", Role::Admin);
    assert_eq!(
        h.get("/admin")
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    // An open route serves a caller with a bad token, as anonymous.
    let res = h
        .get("/open")
        .bearer_auth("not.a.token")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let seen: Value = res.json().await.unwrap();
    assert!(seen["request"].get("caller").is_none());
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_key_set_is_used_as_soon_as_it_is_published() {
    let h = Harness::start().await;
    let rotated = TestKey::new("key-2");
    publish_jwks(&h.client, &[&h.key, &rotated]).await;
    let token = rotated.sign(&claims("u-ann", Role::User));
    let (http, url) = (h.http.clone(), h.url.clone());
    modt_testkit::wait_until(std::time::Duration::from_secs(5), "the new key", || {
        let (http, url, token) = (http.clone(), url.clone(), token.clone());
        async move {
            http.get(format!("{url}/echo/1"))
                .bearer_auth(token)
                .send()
                .await
                .is_ok_and(|r| r.status() == 200)
        }
    })
    .await;
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_withdrawn_key_refuses_its_tokens_even_after_they_were_accepted() {
    let h = Harness::start().await;
    let token = h.key.sign(&claims("u-ann", Role::User));
    for _ in 0..2 {
        // The second call is answered from the gateway's token cache.
        let res = h.get("/echo/1").bearer_auth(&token).send().await.unwrap();
        assert_eq!(res.status(), 200);
    }
    // The key is withdrawn (a set without it): the token it signed stops working, however
    // long before its expiry.
    publish_jwks(&h.client, &[&TestKey::new("key-2")]).await;
    let (http, url) = (h.http.clone(), h.url.clone());
    modt_testkit::wait_until(
        std::time::Duration::from_secs(5),
        "the token refused",
        || {
            let (http, url, token) = (http.clone(), url.clone(), token.clone());
            async move {
                http.get(format!("{url}/echo/1"))
                    .bearer_auth(token)
                    .send()
                    .await
                    .is_ok_and(|r| r.status() == 401)
            }
        },
    )
    .await;
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_session_cookie_works_and_writes_need_an_allowed_origin() {
    let h = Harness::start().await;
    let cookie = format!("modt_session_id={LIVE_SESSION}");
    let res = h
        .get("/echo/5")
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let seen: Value = res.json().await.unwrap();
    assert_eq!(seen["request"]["caller"]["user_id"], "u-carol");
    assert_eq!(seen["request"]["caller"]["username"], "carol");

    let write = |origin: Option<&str>| {
        let mut req = h
            .post("/echo")
            .header("cookie", &cookie)
            .json(&serde_json::json!({}));
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        req
    };
    assert_eq!(write(None).send().await.unwrap().status(), 403, "no Origin");
    let res = write(Some("http://evil.example")).send().await.unwrap();
    assert_eq!(res.status(), 403);
    let res = write(Some(APP_ORIGIN)).send().await.unwrap();
    assert_eq!(res.status(), 200);

    let res = h
        .get("/echo/5")
        .header("cookie", "modt_session_id=ended-session")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    h.stop().await;
}
