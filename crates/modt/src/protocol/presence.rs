//! Presence, discovery and health payloads: `modt/units/{unit_id}/…` (docs/protocol.md §4).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Timestamp;

/// The retained payload of `modt/units/{unit_id}/status`: the bare word, not JSON.
pub mod presence_status {
    /// The unit is running.
    pub const ONLINE: &str = "online";
    /// The unit stopped (clean shutdown) or vanished (last will).
    pub const OFFLINE: &str = "offline";
}

/// The retained `modt/units/{unit_id}/info` document.
///
/// Wire: `{"unit_id": "state", "name": "state", "kind": "state", "version": "0.1.0",
/// "instance_id": "…", "started_at": "…", "http_url": null, "serves": ["modt/state/get"], "publishes": […]}`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitInfo {
    /// The unit's id, the level in its topics.
    pub unit_id: String,
    /// The unit's name.
    pub name: String,
    /// What kind of unit this is (`state`, `identify`, `app`, …).
    pub kind: String,
    /// The unit's software version.
    pub version: String,
    /// Random per process, so restarts can be told apart.
    pub instance_id: String,
    /// When this instance started.
    pub started_at: Timestamp,
    /// The public web address, for units with a web side.
    #[serde(default)]
    pub http_url: Option<String>,
    /// Topic filters the unit answers.
    #[serde(default)]
    pub serves: Vec<String>,
    /// Topics the unit publishes.
    #[serde(default)]
    pub publishes: Vec<String>,
    /// Whether the unit answers `reply_to` privately (docs/protocol.md §3). Every unit run by
    /// the SDK does; the original units announce nothing, so requesters ask them the legacy
    /// way ([`crate::ask`]).
    #[serde(default)]
    pub correlated: bool,
    /// Extension: the web side's name for people, by language code (`{"en": "Viewer", "ja":
    /// "ビューアー"}`). Pages show it instead of the unit id ([`UnitInfo::title`]).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub titles: BTreeMap<String, String>,
    /// Extension: the web side is for administrators; pages do not offer it to other users
    /// (the unit still checks the role itself).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub admins_only: bool,
}

impl UnitInfo {
    /// The unit's name for people in language `lang` (`en`, `ja`): its title in that
    /// language, else in English, else its name.
    pub fn title(&self, lang: &str) -> &str {
        self.titles
            .get(lang)
            .or_else(|| self.titles.get("en"))
            .map_or(self.name.as_str(), String::as_str)
    }
}

/// The answer to `modt/units/{unit_id}/ping`.
///
/// Wire: `{"unit_id": "echo", "instance_id": "…", "uptime_secs": 12.5, "handled": 10, "errors": 0,
/// "dead_letters": 0, "in_flight": 1, "request_id": "r1"}`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PingReply {
    /// When the sender wrote the message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Timestamp>,
    /// The unit's id.
    pub unit_id: String,
    /// The answering instance.
    pub instance_id: String,
    /// Seconds since the unit started.
    pub uptime_secs: f64,
    /// Messages handled (successfully or not).
    pub handled: u64,
    /// Messages whose handling failed.
    pub errors: u64,
    /// Messages sent to the dead-letter topic.
    pub dead_letters: u64,
    /// Messages being handled right now.
    pub in_flight: u64,
    /// The ping's id, echoed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// A ping request. Any JSON object (even `{}`) is a valid ping.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Ping {
    /// When the sender wrote the message.
    #[serde(
        default = "super::timestamp::now_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub timestamp: Option<Timestamp>,
}
