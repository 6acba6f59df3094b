//! Test support for the gateway: an embedded broker, a test unit that answers ApiRequests
//! (and session queries, as identify would), a signing key whose JWK Set is published retained
//! as identify publishes it, and the gateway on an ephemeral port.

#![allow(
    dead_code,
    unreachable_pub,
    missing_debug_implementations,
    clippy::unwrap_used,
    clippy::expect_used
)]

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use modt::protocol::api::{REQUEST_ID_HEADER, TRACEPARENT};
use modt::protocol::{
    topics, AccessClaims, ApiReply, ApiRequest, ErrorCode, FieldError, Role, SessionInfo,
    SessionQuery,
};
use modt::unit::Setup;
use modt::{Client, Context, HandlerError, Message, MqttVersion, Outgoing, Topic, Unit};
use modt_testkit::{RunningUnit, TestBroker};
use ring::rand::SystemRandom;
use ring::signature::{Ed25519KeyPair, KeyPair as _};
use serde_json::{json, Value};

pub const ECHO: Topic = Topic::from_static("modt/test/echo");
pub const SLOW: Topic = Topic::from_static("modt/test/slow");
pub const FAIL: Topic = Topic::from_static("modt/test/fail");
pub const INVALID: Topic = Topic::from_static("modt/test/invalid");

/// The allowed extra origin the tests configure.
pub const APP_ORIGIN: &str = "http://app.example";
/// The session id the stand-in knows as a live session of `carol`.
pub const LIVE_SESSION: &str = "live-session-0123456789";

pub const ROUTES: &str = r#"
[[route]]
route = "GET /echo/{id}"
topic = "modt/test/echo"
unit = "tester"
auth = "user"

[[route]]
route = "POST /echo"
topic = "modt/test/echo"
unit = "tester"
auth = "user"
body_limit = 1024

[[route]]
route = "GET /open"
topic = "modt/test/echo"
unit = "tester"
auth = "none"

[[route]]
route = "GET /admin"
topic = "modt/test/echo"
unit = "tester"
auth = "admin"

[[route]]
route = "GET /slow"
topic = "modt/test/slow"
unit = "tester"
auth = "none"
timeout = "300ms"

[[route]]
route = "GET /fail"
topic = "modt/test/fail"
unit = "tester"
auth = "none"

[[route]]
route = "POST /invalid"
topic = "modt/test/invalid"
unit = "tester"
auth = "none"

[[route]]
route = "GET /ghost"
topic = "modt/test/ghost"
unit = "ghost"
auth = "none"

[[route]]
route = "GET /limited"
topic = "modt/test/echo"
unit = "tester"
auth = "none"
rate = { per_second = 1, burst = 2 }
"#;

/// An Ed25519 signing key and its kid.
pub struct TestKey {
    pub kid: String,
    pkcs8: Vec<u8>,
    public: Vec<u8>,
}

impl TestKey {
    pub fn new(kid: &str) -> TestKey {
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
        let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
        TestKey {
            kid: kid.to_owned(),
            pkcs8: pkcs8.as_ref().to_vec(),
            public: pair.public_key().as_ref().to_vec(),
        }
    }

    /// The public key as a JWK, as identify publishes it.
    pub fn jwk(&self) -> Value {
        json!({
            "kty": "OKP", "crv": "Ed25519", "use": "sig", "alg": "EdDSA",
            "kid": self.kid, "x": URL_SAFE_NO_PAD.encode(&self.public),
        })
    }

    /// A token with `claims`, signed by this key under `kid`.
    pub fn sign_as(&self, kid: &str, claims: &AccessClaims) -> String {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(kid.to_owned());
        jsonwebtoken::encode(&header, claims, &EncodingKey::from_ed_der(&self.pkcs8)).unwrap()
    }

    pub fn sign(&self, claims: &AccessClaims) -> String {
        self.sign_as(&self.kid, claims)
    }
}

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Valid claims for `sub` with `role`, for five minutes.
pub fn claims(sub: &str, role: Role) -> AccessClaims {
    AccessClaims {
        iss: modt::protocol::token::DEFAULT_ISSUER.into(),
        aud: modt::protocol::token::DEFAULT_AUDIENCE.into(),
        sub: sub.into(),
        name: format!("{sub}-name"),
        role,
        tenant: None,
        iat: now(),
        exp: now() + 300,
        jti: uuid_like(),
    }
}

fn uuid_like() -> String {
    format!("{:x}", now() ^ 0x5a5a_5a5a)
}

/// A broker, the test units, the gateway, and an HTTP client.
pub struct Harness {
    pub broker: TestBroker,
    pub url: String,
    pub http: reqwest::Client,
    pub key: TestKey,
    pub client: Client,
    gateway: Option<RunningUnit>,
    tester: Option<RunningUnit>,
    _dir: tempfile::TempDir,
}

impl Harness {
    /// Everything started with the test routes, the JWK Set published, the tester online.
    pub async fn start() -> Harness {
        Harness::start_with(ROUTES).await
    }

    pub async fn start_with(routes: &str) -> Harness {
        modt_testkit::init_tracing();
        let broker = TestBroker::embedded();
        let dir = tempfile::tempdir().unwrap();
        let client = Client::connect(broker.client_config("test", MqttVersion::V5))
            .await
            .unwrap();
        let key = TestKey::new("key-1");
        publish_jwks(&client, &[&key]).await;
        let tester = RunningUnit::start(
            tester_unit(),
            broker.client_config("tester", MqttVersion::V5),
        );
        modt_testkit::wait_online(&client, "tester").await;
        let routes_path = write_routes(&dir, routes);
        let (gateway, url) = start_gateway(&broker, &dir, Some(routes_path)).await;
        let http = reqwest::Client::new();
        let harness = Harness {
            broker,
            url,
            http,
            key,
            client,
            gateway: Some(gateway),
            tester: Some(tester),
            _dir: dir,
        };
        harness.wait_ready().await;
        harness
    }

    /// Waits until the gateway sees the tester online and holds the test key.
    pub async fn wait_ready(&self) {
        let http = self.http.clone();
        let url = self.url.clone();
        let kid = self.key.kid.clone();
        modt_testkit::wait_until(Duration::from_secs(10), "the gateway to be ready", || {
            let (http, url, kid) = (http.clone(), url.clone(), kid.clone());
            async move {
                let Ok(res) = http.get(format!("{url}/readyz")).send().await else {
                    return false;
                };
                let body: Value = res.json().await.unwrap_or_default();
                let tester_seen = !body["missing_units"]
                    .as_array()
                    .is_some_and(|m| m.iter().any(|u| u == "tester"));
                let Ok(res) = http
                    .get(format!("{url}/.well-known/jwks.json"))
                    .send()
                    .await
                else {
                    return false;
                };
                let jwks: Value = res.json().await.unwrap_or_default();
                let has_key = jwks["keys"]
                    .as_array()
                    .is_some_and(|k| k.iter().any(|k| k["kid"] == kid.as_str()));
                body["broker_connected"] == true && tester_seen && has_key
            }
        })
        .await;
    }

    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.get(format!("{}{path}", self.url))
    }

    pub fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.post(format!("{}{path}", self.url))
    }

    pub fn token(&self, sub: &str, role: Role) -> String {
        self.key.sign(&claims(sub, role))
    }

    pub async fn stop_tester(&mut self) {
        if let Some(t) = self.tester.take() {
            t.stop().await.unwrap();
        }
    }

    pub async fn stop(mut self) {
        if let Some(g) = self.gateway.take() {
            g.stop().await.unwrap();
        }
        self.stop_tester().await;
        self.client.shutdown().await;
    }
}

pub fn write_routes(dir: &tempfile::TempDir, routes: &str) -> PathBuf {
    let path = dir.path().join("routes.toml");
    std::fs::write(&path, routes).unwrap();
    path
}

/// The gateway on a free port; returns it running, with its URL.
pub async fn start_gateway(
    broker: &TestBroker,
    dir: &tempfile::TempDir,
    routes: Option<PathBuf>,
) -> (RunningUnit, String) {
    let args = modt_gateway::Args {
        routes,
        allowed_origins: vec![APP_ORIGIN.into()],
        ..Default::default()
    };
    start_gateway_with(broker, dir, args).await
}

/// The gateway with `args` on a free port; returns it running, with its URL.
pub async fn start_gateway_with(
    broker: &TestBroker,
    dir: &tempfile::TempDir,
    args: modt_gateway::Args,
) -> (RunningUnit, String) {
    let mut setup = Setup::new(dir.path());
    setup.web.http_addr = Some("127.0.0.1:0".into());
    let unit = modt_gateway::build(args, &setup).await.unwrap();
    let url = unit.web_address().unwrap().to_owned();
    let running = RunningUnit::start(unit, broker.client_config("gateway", MqttVersion::V5));
    (running, url)
}

/// Publishes the JWK Set of `keys` retained on `modt/auth/jwks`, as identify does.
pub async fn publish_jwks(client: &Client, keys: &[&TestKey]) {
    let set = json!({ "keys": keys.iter().map(|k| k.jwk()).collect::<Vec<_>>() });
    let out = Outgoing::new(topics::AUTH_JWKS, serde_json::to_vec(&set).unwrap()).retain(true);
    client.publish(out).await.unwrap();
}

/// The unit the test routes go to: `echo` answers with what it got; `slow` answers after
/// the test routes' timeout; `fail` answers `conflict`; `invalid` answers `unprocessable` with
/// field details; and session queries are answered as identify would (one live session).
fn tester_unit() -> Unit {
    Unit::new("tester", "test", "0")
        .drain_timeout(Duration::from_secs(1))
        .route(ECHO.to_filter(), |ctx: Context, msg: Message| async move {
            let req: ApiRequest = ctx.decode(&msg)?;
            let seen = json!({
                "request": req,
                "request_id": ctx.request().request_id,
                "x_request_id": msg.header(REQUEST_ID_HEADER),
                "traceparent": msg.header(TRACEPARENT),
            });
            let reply = ApiReply::ok(seen)
                .header("etag", "\"7\"")
                .header("x-internal", "not for clients");
            ctx.reply(&reply).await?;
            Ok(())
        })
        .route(SLOW.to_filter(), |ctx: Context, _msg: Message| async move {
            tokio::time::sleep(Duration::from_secs(2)).await;
            ctx.reply(&ApiReply::no_content()).await?;
            Ok(())
        })
        .route(
            FAIL.to_filter(),
            |_ctx: Context, _msg: Message| async move {
                Err(HandlerError::new(
                    ErrorCode::Conflict,
                    "it changed meanwhile",
                ))
            },
        )
        .route(
            INVALID.to_filter(),
            |_ctx: Context, _msg: Message| async move {
                Err(HandlerError::unprocessable(vec![FieldError {
                    field: "title".into(),
                    reason: "must not be empty".into(),
                }]))
            },
        )
        .route(
            topics::SESSION_QUERY.to_filter(),
            |ctx: Context, msg: Message| async move {
                let q: SessionQuery = ctx.decode(&msg)?;
                let info = if q.session_id == LIVE_SESSION {
                    let mut info = SessionInfo::valid(&q.session_id, "u-carol", "user");
                    info.username = Some("carol".into());
                    info
                } else {
                    SessionInfo::invalid(&q.session_id)
                };
                ctx.reply(&info).await?;
                Ok(())
            },
        )
}
