//! Starting an identify unit over a real SQLite file (opened as the unit's wiring does, through
//! `modt_identify::store::open`) and a real HTTP listener, and talking to its pages like a
//! browser (cookie jar, no automatic redirects).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use modt::{Client, MqttVersion};
use modt_identify::store::IdentityStore;
use modt_identify::IdentifyConfig;
use modt_testkit::{wait_online, RunningUnit, TestBroker};
use reqwest::cookie::CookieStore as _;

mod identify;
pub(crate) mod tokens;

pub(crate) use identify::add_user;

/// A running identify unit.
pub(crate) struct Identify {
    pub(crate) unit: RunningUnit,
    pub(crate) url: String,
    pub(crate) store: Arc<dyn IdentityStore>,
    pub(crate) unit_id: String,
    pub(crate) dir: tempfile::TempDir,
}

impl Identify {
    /// Stops the unit, keeping its data directory.
    pub(crate) async fn stop(self) -> tempfile::TempDir {
        self.unit.stop().await.unwrap();
        self.dir
    }
}

/// Starts an identify unit on `broker` with its database in `dir` (new when `None`), and a
/// client; waits until the unit is online.
pub(crate) async fn start(
    broker: &TestBroker,
    dir: Option<tempfile::TempDir>,
    config: IdentifyConfig,
) -> (Identify, Client) {
    start_trusting(broker, dir, config, modt::directory::WebUnits::Any).await
}

/// [`start`], linking only the web sides of `web_units`.
pub(crate) async fn start_trusting(
    broker: &TestBroker,
    dir: Option<tempfile::TempDir>,
    config: IdentifyConfig,
    web_units: modt::directory::WebUnits,
) -> (Identify, Client) {
    modt_testkit::init_tracing();
    let dir = dir.unwrap_or_else(|| tempfile::tempdir().unwrap());
    let db = dir.path().join(modt_identify::unit::DB_FILE);
    let running = identify::start_identify(broker, &db, config, web_units).await;
    let client = Client::connect(broker.client_config("test", MqttVersion::V5))
        .await
        .unwrap();
    wait_online(&client, &running.unit_id).await;
    let identify = Identify {
        unit: running.unit,
        url: running.url,
        store: running.store,
        unit_id: running.unit_id,
        dir,
    };
    (identify, client)
}

/// A browser-like HTTP client: keeps cookies, does not follow redirects.
pub(crate) struct Browser {
    pub(crate) http: reqwest::Client,
    pub(crate) jar: Arc<reqwest::cookie::Jar>,
    pub(crate) base: String,
}

impl Browser {
    pub(crate) fn new(base: &str) -> Browser {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let http = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Browser {
            http,
            jar,
            base: base.to_string(),
        }
    }

    pub(crate) async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap()
    }

    /// Loads `page` and returns the CSRF token of its form.
    pub(crate) async fn csrf(&self, page: &str) -> String {
        let html = self.get(page).await.text().await.unwrap();
        let start = html
            .find("name=\"csrf_token\" value=\"")
            .expect("a csrf field")
            + 25;
        html[start..start + 64].to_string()
    }

    /// Posts a form from our own origin (as a browser would).
    pub(crate) async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.base))
            .header("origin", &self.base)
            .form(fields)
            .send()
            .await
            .unwrap()
    }

    /// Logs in through the form; returns the response to the POST.
    pub(crate) async fn login(&self, user: &str, password: &str) -> reqwest::Response {
        let token = self.csrf("/login").await;
        self.post_form(
            "/login",
            &[
                ("username", user),
                ("password", password),
                ("csrf_token", &token),
            ],
        )
        .await
    }

    /// The value of cookie `name` the browser holds for the site.
    pub(crate) fn cookie(&self, name: &str) -> Option<String> {
        let url: reqwest::Url = self.base.parse().unwrap();
        let header = self.jar.cookies(&url)?;
        header
            .to_str()
            .unwrap()
            .split("; ")
            .find_map(|kv| kv.strip_prefix(&format!("{name}=")).map(str::to_string))
    }

    pub(crate) fn session_id(&self) -> Option<String> {
        self.cookie("modt_session_id")
    }
}

/// The `Location` of a redirect.
pub(crate) fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}
