//! A live view of which units are online and what they announced (docs/protocol.md §4).
//!
//! [`Directory::watch`] subscribes to every unit's retained `status` and `info` and keeps a
//! map unit id → [`DirectoryEntry`]. Web units use it to find each other's public URLs (the
//! identify unit's login page, the viewer) and to list the apps a user can go to.
//!
//! A web address is kept only when it is `http(s)` and its unit is one of the [`WebUnits`]
//! trusted to have a web side: on a broker that enforces the policy, only account `X` may
//! publish `modt/units/X/info`, so a unit without that right cannot put a link, or a fake
//! login page, in front of users.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, RwLock};

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tracing::debug;

use crate::protocol::{presence_status, topics, UnitInfo};
use crate::{Client, Error, Message, QoS, TopicFilter};

/// At most this many units are tracked; announcements from further unit ids are ignored, so a
/// client that invents unit ids cannot grow the map without bound.
pub const MAX_UNITS: usize = 1024;

/// What is known about one unit.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DirectoryEntry {
    /// Whether its retained status says `online`.
    pub online: bool,
    /// Whether a status was seen at all (a unit whose info arrived first is not yet known to
    /// be offline).
    pub status_seen: bool,
    /// Its retained info document, if one was seen.
    pub info: Option<UnitInfo>,
    /// `info.serves`, parsed once when the info arrives (requests ask on every call).
    serves: Vec<TopicFilter>,
}

impl DirectoryEntry {
    /// Whether its info announces serving `topic`.
    pub fn serves(&self, topic: &str) -> bool {
        self.serves.iter().any(|f| f.matches(topic))
    }

    fn set_info(&mut self, info: Option<UnitInfo>) {
        self.serves = info
            .iter()
            .flat_map(|i| &i.serves)
            .filter_map(|f| TopicFilter::new(f.as_str()).ok())
            .collect();
        self.info = info;
    }
}

/// Which units' announced web addresses are used.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum WebUnits {
    /// Every unit's (tests, and clients that only display the directory).
    #[default]
    Any,
    /// Only these unit ids' (`modt` passes the broker policy's accounts marked `web`).
    Only(Arc<BTreeSet<String>>),
}

impl WebUnits {
    /// Only the units named in `ids`.
    pub fn only<I: IntoIterator<Item = S>, S: Into<String>>(ids: I) -> WebUnits {
        WebUnits::Only(Arc::new(ids.into_iter().map(Into::into).collect()))
    }

    /// Whether `unit_id`'s web address is used.
    pub fn trusts(&self, unit_id: &str) -> bool {
        match self {
            WebUnits::Any => true,
            WebUnits::Only(ids) => ids.contains(unit_id),
        }
    }
}

/// A shared, always-current map of units. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Directory {
    units: Arc<RwLock<BTreeMap<String, DirectoryEntry>>>,
    web_units: WebUnits,
    /// Bumped on every applied message, so waiters see changes.
    changes: Arc<watch::Sender<u64>>,
}

impl Directory {
    /// Subscribes to presence and keeps the directory current until `shutdown` fires.
    ///
    /// ```no_run
    /// # async fn demo(client: modt::Client) -> Result<(), modt::Error> {
    /// let stop = tokio_util::sync::CancellationToken::new();
    /// let directory = modt::Directory::watch(&client, stop.clone()).await?;
    /// for (id, info) in directory.online_with_url() {
    ///     println!("{id}: {:?}", info.http_url);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn watch(client: &Client, shutdown: CancellationToken) -> Result<Directory, Error> {
        Directory::watch_trusting(client, shutdown, WebUnits::Any).await
    }

    /// [`Directory::watch`], keeping web addresses only of `web_units`.
    pub async fn watch_trusting(
        client: &Client,
        shutdown: CancellationToken,
        web_units: WebUnits,
    ) -> Result<Directory, Error> {
        let directory = Directory::trusting(web_units);
        let mut status = client
            .subscribe(&topics::ALL_UNIT_STATUS, QoS::AtLeastOnce)
            .await?;
        let mut info = client
            .subscribe(&topics::ALL_UNIT_INFO, QoS::AtLeastOnce)
            .await?;
        let view = directory.clone();
        tokio::spawn(async move {
            loop {
                let msg = tokio::select! {
                    _ = shutdown.cancelled() => return,
                    m = status.recv() => m,
                    m = info.recv() => m,
                };
                match msg {
                    Some(msg) => view.apply(&msg),
                    None => return,
                }
            }
        });
        Ok(directory)
    }

    /// An empty directory that keeps web addresses only of `web_units`.
    pub fn trusting(web_units: WebUnits) -> Directory {
        Directory {
            units: Arc::default(),
            web_units,
            changes: Arc::new(watch::Sender::new(0)),
        }
    }

    /// Applies one presence message.
    pub fn apply(&self, msg: &Message) {
        let Some((unit_id, what)) = topics::unit_topic_parts(&msg.topic) else {
            return;
        };
        let Ok(mut units) = self.units.write() else {
            return;
        };
        if !units.contains_key(unit_id) && units.len() >= MAX_UNITS {
            debug!(unit = unit_id, "directory full; ignoring a new unit");
            return;
        }
        self.changes.send_modify(|n| *n = n.wrapping_add(1));
        match what {
            "status" => {
                let online = msg.payload.as_ref() == presence_status::ONLINE.as_bytes();
                let entry = units.entry(unit_id.to_string()).or_default();
                entry.online = online;
                entry.status_seen = true;
            }
            "info" if msg.payload.is_empty() => {
                units.entry(unit_id.to_string()).or_default().set_info(None);
            }
            "info" => match msg.json::<UnitInfo>() {
                Ok(mut info) => {
                    if info
                        .http_url
                        .as_deref()
                        .is_some_and(|u| web_origin(u).is_none())
                    {
                        debug!(unit = unit_id, "ignoring a web address that is not http(s)");
                        info.http_url = None;
                    }
                    if info.http_url.is_some() && !self.web_units.trusts(unit_id) {
                        debug!(
                            unit = unit_id,
                            "ignoring the web address of a unit not trusted to have a web side"
                        );
                        info.http_url = None;
                    }
                    units
                        .entry(unit_id.to_string())
                        .or_default()
                        .set_info(Some(info))
                }
                Err(e) => debug!(unit = unit_id, error = %e, "ignoring an unreadable unit info"),
            },
            _ => {}
        }
    }

    /// A copy of every known unit.
    pub fn snapshot(&self) -> BTreeMap<String, DirectoryEntry> {
        self.units.read().map(|u| u.clone()).unwrap_or_default()
    }

    /// Online units that announced a public web address, by unit id.
    pub fn online_with_url(&self) -> Vec<(String, UnitInfo)> {
        self.snapshot()
            .into_iter()
            .filter(|(_, e)| e.online)
            .filter_map(|(id, e)| e.info.filter(|i| i.http_url.is_some()).map(|i| (id, i)))
            .collect()
    }

    /// Whether an online unit that answers privately serves `topic` (announced in its info),
    /// so a request there can be correlated. `false` for the original units, which announce
    /// nothing: ask them the legacy way ([`crate::ask`]).
    pub fn answers_correlated(&self, topic: &str) -> bool {
        let Ok(units) = self.units.read() else {
            return false;
        };
        units
            .values()
            .filter(|e| e.online && e.info.as_ref().is_some_and(|i| i.correlated))
            .any(|e| e.serves(topic))
    }

    /// The units that announced serving `topic` when every one of them is offline; `None`
    /// while one is online or its status is not yet known, or when none announced it (the
    /// original units announce nothing).
    pub fn all_servers_offline(&self, topic: &str) -> Option<Vec<String>> {
        let units = self.units.read().ok()?;
        let mut offline = Vec::new();
        for (id, entry) in units.iter().filter(|(_, e)| e.serves(topic)) {
            if entry.online || !entry.status_seen {
                return None;
            }
            offline.push(id.clone());
        }
        (!offline.is_empty()).then_some(offline)
    }

    /// Resolves once every unit serving `topic` is offline (see
    /// [`Directory::all_servers_offline`]), with their ids; at once if they are now.
    pub async fn servers_gone(&self, topic: &str) -> Vec<String> {
        let mut changes = self.changes.subscribe();
        loop {
            changes.borrow_and_update();
            if let Some(units) = self.all_servers_offline(topic) {
                return units;
            }
            if changes.changed().await.is_err() {
                return std::future::pending().await;
            }
        }
    }

    /// A receiver that sees a change after every presence or info message applied, for
    /// pages and tasks that follow which units are online.
    pub fn changes(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }

    /// The public web address of the first online unit of `kind`, if any.
    pub fn url_of_kind(&self, kind: &str) -> Option<String> {
        self.online_with_url()
            .into_iter()
            .find(|(_, info)| info.kind == kind)
            .and_then(|(_, info)| info.http_url)
    }
}

/// The origin (`scheme://host[:port]`) of an absolute `http`/`https` URL; `None` for anything
/// else. A unit's announced web address is used only when this is `Some`, so a retained
/// `info` cannot put a `javascript:` or `data:` link on another unit's page; pages show the
/// origin beside the unit's name, so a link says where it goes.
pub fn web_origin(raw: &str) -> Option<String> {
    let url = url::Url::parse(raw).ok()?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return None;
    }
    Some(url.origin().ascii_serialization())
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn msg(topic: &str, payload: &str) -> Message {
        Message {
            topic: topic.into(),
            payload: Bytes::from(payload.to_string()),
            qos: QoS::AtLeastOnce,
            retain: true,
            response_topic: None,
            correlation_data: None,
            user_properties: Vec::new(),
        }
    }

    fn info(id: &str, kind: &str, url: Option<&str>) -> String {
        serde_json::json!({
            "unit_id": id, "name": id, "kind": kind, "version": "1", "instance_id": "i",
            "started_at": "2026-01-02T10:00:00", "http_url": url,
        })
        .to_string()
    }

    #[test]
    fn tracks_status_and_info() {
        let d = Directory::default();
        d.apply(&msg(
            "modt/units/app1/info",
            &info("app1", "app", Some("http://a")),
        ));
        assert!(d.online_with_url().is_empty(), "not online yet");
        d.apply(&msg("modt/units/app1/status", "online"));
        d.apply(&msg("modt/units/state/status", "online"));
        d.apply(&msg("modt/units/state/info", &info("state", "state", None)));
        let online = d.online_with_url();
        assert_eq!(online.len(), 1);
        assert_eq!(d.url_of_kind("app").as_deref(), Some("http://a"));
        d.apply(&msg("modt/units/app1/status", "offline"));
        assert_eq!(d.url_of_kind("app"), None);
    }

    #[test]
    fn knows_which_topics_have_a_correlated_responder() {
        let d = Directory::default();
        assert!(!d.answers_correlated("modt/state/get"), "nobody known");
        let mut state: serde_json::Value =
            serde_json::from_str(&info("state", "state", None)).unwrap();
        state["serves"] = serde_json::json!(["modt/state/get", "modt/state/all/get"]);
        d.apply(&msg("modt/units/state/info", &state.to_string()));
        d.apply(&msg("modt/units/state/status", "online"));
        assert!(
            !d.answers_correlated("modt/state/get"),
            "info without `correlated`"
        );
        state["correlated"] = serde_json::json!(true);
        d.apply(&msg("modt/units/state/info", &state.to_string()));
        assert!(d.answers_correlated("modt/state/get"));
        assert!(!d.answers_correlated("modt/session/query"));
        d.apply(&msg("modt/units/state/status", "offline"));
        assert!(!d.answers_correlated("modt/state/get"), "offline");
    }

    #[tokio::test]
    async fn it_knows_when_every_server_of_a_topic_is_gone() {
        let d = Directory::default();
        assert_eq!(
            d.all_servers_offline("modt/state/get"),
            None,
            "nobody known"
        );
        for id in ["state-1", "state-2"] {
            let mut info: serde_json::Value =
                serde_json::from_str(&info(id, "state", None)).unwrap();
            info["serves"] = serde_json::json!(["modt/state/get"]);
            d.apply(&msg(&format!("modt/units/{id}/info"), &info.to_string()));
            d.apply(&msg(&format!("modt/units/{id}/status"), "online"));
        }
        d.apply(&msg("modt/units/state-1/status", "offline"));
        assert_eq!(
            d.all_servers_offline("modt/state/get"),
            None,
            "state-2 serves"
        );
        let gone = {
            let d = d.clone();
            tokio::spawn(async move { d.servers_gone("modt/state/get").await })
        };
        tokio::task::yield_now().await;
        d.apply(&msg("modt/units/state-2/status", "offline"));
        assert_eq!(gone.await.unwrap(), ["state-1", "state-2"]);
        assert_eq!(
            d.all_servers_offline("modt/echo"),
            None,
            "served by nobody known"
        );
        let mut early: serde_json::Value =
            serde_json::from_str(&info("early", "echo", None)).unwrap();
        early["serves"] = serde_json::json!(["modt/echo"]);
        d.apply(&msg("modt/units/early/info", &early.to_string()));
        assert_eq!(
            d.all_servers_offline("modt/echo"),
            None,
            "info seen before any status: not known to be offline"
        );
        d.apply(&msg("modt/units/early/status", "offline"));
        assert_eq!(d.all_servers_offline("modt/echo").unwrap(), ["early"]);
    }

    #[test]
    fn only_trusted_units_have_a_web_side() {
        let d = Directory::trusting(WebUnits::only(["identify", "viewer"]));
        for (id, kind) in [
            ("identify", "identify"),
            ("echo", "identify"),
            ("viewer", "viewer"),
        ] {
            d.apply(&msg(&format!("modt/units/{id}/status"), "online"));
            d.apply(&msg(
                &format!("modt/units/{id}/info"),
                &info(id, kind, Some(&format!("http://{id}.example"))),
            ));
        }
        let ids: Vec<String> = d.online_with_url().into_iter().map(|(id, _)| id).collect();
        assert_eq!(ids, ["identify", "viewer"]);
        assert_eq!(
            d.url_of_kind("identify").as_deref(),
            Some("http://identify.example"),
            "echo claiming to be the login page is not believed"
        );
        let echo = d.snapshot().remove("echo").unwrap().info.unwrap();
        assert_eq!(echo.http_url, None, "the rest of its info is kept");
        assert!(WebUnits::Any.trusts("anything"));
    }

    #[test]
    fn only_http_and_https_web_addresses_are_kept() {
        let d = Directory::default();
        d.apply(&msg("modt/units/bad/status", "online"));
        d.apply(&msg(
            "modt/units/bad/info",
            &info("bad", "app", Some("javascript:alert(1)")),
        ));
        d.apply(&msg("modt/units/ok/status", "online"));
        d.apply(&msg(
            "modt/units/ok/info",
            &info("ok", "app", Some("https://x.example:8443/a?b")),
        ));
        let online = d.online_with_url();
        assert_eq!(online.len(), 1);
        assert_eq!(online[0].0, "ok");
        assert_eq!(
            web_origin("https://x.example:8443/a?b").as_deref(),
            Some("https://x.example:8443")
        );
        for bad in [
            "data:text/html,x",
            "file:///etc/passwd",
            "http://",
            "/relative",
            "ftp://x/",
        ] {
            assert_eq!(web_origin(bad), None, "{bad}");
        }
    }

    #[test]
    fn ignores_garbage_and_bounds_the_map() {
        let d = Directory::default();
        d.apply(&msg("modt/units/x/info", "not json"));
        d.apply(&msg("modt/other/x/status", "online"));
        assert_eq!(d.snapshot().get("x").and_then(|e| e.info.clone()), None);
        for i in 0..MAX_UNITS + 10 {
            d.apply(&msg(&format!("modt/units/u{i}/status"), "online"));
        }
        assert_eq!(d.snapshot().len(), MAX_UNITS);
    }
}
