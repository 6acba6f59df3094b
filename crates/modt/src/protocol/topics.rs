//! Every topic MoDT uses, in one place (docs/protocol.md §2–§5).
//!
//! Constants for fixed topics, functions for topics with a variable level. Nobody else
//! formats a topic string.

use super::topic::{check_level, Topic, TopicError, TopicFilter};

/// `modt/auth/success`: the identify unit announces a login.
pub const AUTH_SUCCESS: Topic = Topic::from_static("modt/auth/success");
/// `modt/app/ready`: an app accepts a new session and names its URL.
pub const APP_READY: Topic = Topic::from_static("modt/app/ready");
/// `modt/session/query`: "who is this session?"
pub const SESSION_QUERY: Topic = Topic::from_static("modt/session/query");
/// `modt/session/info`: the legacy (broadcast) answer to a session query.
pub const SESSION_INFO: Topic = Topic::from_static("modt/session/info");

/// `modt/state/set`: store one key.
pub const STATE_SET: Topic = Topic::from_static("modt/state/set");
/// `modt/state/get`: read one key.
pub const STATE_GET: Topic = Topic::from_static("modt/state/get");
/// `modt/state/value`: the legacy answer to a get.
pub const STATE_VALUE: Topic = Topic::from_static("modt/state/value");
/// `modt/state/keys/query`: list a user's keys.
pub const STATE_KEYS_QUERY: Topic = Topic::from_static("modt/state/keys/query");
/// `modt/state/keys/list`: the legacy answer to a keys query.
pub const STATE_KEYS_LIST: Topic = Topic::from_static("modt/state/keys/list");
/// `modt/state/all/get`: read all of a user's keys.
pub const STATE_ALL_GET: Topic = Topic::from_static("modt/state/all/get");
/// `modt/state/all/value`: the legacy answer to an all-get.
pub const STATE_ALL_VALUE: Topic = Topic::from_static("modt/state/all/value");
/// `modt/state/delete`: delete one key.
pub const STATE_DELETE: Topic = Topic::from_static("modt/state/delete");
/// `modt/state/clear`: delete all of a user's keys.
pub const STATE_CLEAR: Topic = Topic::from_static("modt/state/clear");

/// `modt/state/bulk/get`: read several keys (extension).
pub const STATE_BULK_GET: Topic = Topic::from_static("modt/state/bulk/get");
/// `modt/state/bulk/set`: write several keys atomically (extension).
pub const STATE_BULK_SET: Topic = Topic::from_static("modt/state/bulk/set");
/// `modt/state/changed/+`: every user's change events.
pub const ALL_STATE_CHANGED: TopicFilter = TopicFilter::from_static("modt/state/changed/+");

/// `modt/echo`: the echo unit's request topic.
pub const ECHO: Topic = Topic::from_static("modt/echo");
/// `modt/echo/reply`: where the echo unit answers requests that carry no `reply_to`.
pub const ECHO_REPLY: Topic = Topic::from_static("modt/echo/reply");

/// `modt/+/GET`: hub reads on behalf of any unit (docs/protocol.md §2).
pub const ALL_HUB_GET: TopicFilter = TopicFilter::from_static("modt/+/GET");
/// `modt/+/POST`: hub creates-or-replaces on behalf of any unit.
pub const ALL_HUB_POST: TopicFilter = TopicFilter::from_static("modt/+/POST");
/// `modt/+/PUT`: hub replaces on behalf of any unit.
pub const ALL_HUB_PUT: TopicFilter = TopicFilter::from_static("modt/+/PUT");

/// The todo unit: a page of the caller's todos (an `ApiRequest`, answered with a `TodoPage`).
pub const TODO_LIST: Topic = Topic::from_static("modt/todo/list");
/// The todo unit: create a todo.
pub const TODO_CREATE: Topic = Topic::from_static("modt/todo/create");
/// The todo unit: one todo.
pub const TODO_GET: Topic = Topic::from_static("modt/todo/get");
/// The todo unit: change a todo.
pub const TODO_UPDATE: Topic = Topic::from_static("modt/todo/update");
/// The todo unit: delete a todo.
pub const TODO_DELETE: Topic = Topic::from_static("modt/todo/delete");
/// Every user's todo change events.
pub const ALL_TODO_CHANGED: TopicFilter = TopicFilter::from_static("modt/todo/changed/+");

/// The ingest unit (docs/protocol.md, "The ingest unit"): the connections with their status
/// (an `ApiRequest`, answered with an `ingest::ConnectionList`).
pub const INGEST_CONNECTIONS_LIST: Topic = Topic::from_static("modt/ingest/connections/list");
/// The ingest unit: create a connection (administrators; body `ingest::ConnectionDraft`).
pub const INGEST_CONNECTIONS_CREATE: Topic = Topic::from_static("modt/ingest/connections/create");
/// The ingest unit: one connection with its status (`params.id`).
pub const INGEST_CONNECTIONS_GET: Topic = Topic::from_static("modt/ingest/connections/get");
/// The ingest unit: change, start or stop a connection (administrators; `ingest::ConnectionPatch`).
pub const INGEST_CONNECTIONS_UPDATE: Topic = Topic::from_static("modt/ingest/connections/update");
/// The ingest unit: delete a connection (administrators).
pub const INGEST_CONNECTIONS_DELETE: Topic = Topic::from_static("modt/ingest/connections/delete");
/// The ingest unit: a connection's log, newest first (`ingest::ConnectionLog`).
pub const INGEST_CONNECTIONS_LOG: Topic = Topic::from_static("modt/ingest/connections/log");
/// The ingest unit: the topics it has seen (`ingest::DiscoveredPage`).
pub const INGEST_TOPICS_LIST: Topic = Topic::from_static("modt/ingest/topics/list");
/// The ingest unit: the device tree with latest values (`ingest::DeviceTree`).
pub const INGEST_DEVICES_LIST: Topic = Topic::from_static("modt/ingest/devices/list");
/// The ingest unit: one sensor's recent values (`ingest::SensorHistory`).
pub const INGEST_SENSOR_HISTORY: Topic = Topic::from_static("modt/ingest/sensors/history");
/// The ingest unit: the parse log, newest first, with filters (`ingest::ParseLogPage`).
pub const INGEST_PARSE_LOG: Topic = Topic::from_static("modt/ingest/parse-log/list");
/// Every connection's retained status (`ingest::ConnectionStatus`).
pub const ALL_INGEST_STATUS: TopicFilter = TopicFilter::from_static("modt/ingest/status/+");
/// Every site's live device events (`ingest::DeviceEvent`).
pub const ALL_INGEST_DEVICES_CHANGED: TopicFilter =
    TopicFilter::from_static("modt/ingest/devices/changed/+");
/// Every connection's dead letters (`ingest::IngestDeadLetter`).
pub const ALL_INGEST_DEAD: TopicFilter = TopicFilter::from_static("modt/ingest/dead/+");

/// The identify unit's public signing keys, a JWK Set (retained).
pub const AUTH_JWKS: Topic = Topic::from_static("modt/auth/jwks");
/// The identify unit's token API: register (an `ApiRequest` with `Credentials`).
pub const AUTH_TOKEN_REGISTER: Topic = Topic::from_static("modt/auth/token/register");
/// Log in: `Credentials` → `TokenPair`.
pub const AUTH_TOKEN_LOGIN: Topic = Topic::from_static("modt/auth/token/login");
/// Refresh: `RefreshRequest` → a new `TokenPair` (the old refresh token is spent).
pub const AUTH_TOKEN_REFRESH: Topic = Topic::from_static("modt/auth/token/refresh");
/// Log out: revoke one refresh token's family.
pub const AUTH_TOKEN_LOGOUT: Topic = Topic::from_static("modt/auth/token/logout");
/// Log out everywhere: revoke every refresh token of the caller.
pub const AUTH_TOKEN_LOGOUT_ALL: Topic = Topic::from_static("modt/auth/token/logout-all");

/// `modt/units/+/status`: every unit's presence.
pub const ALL_UNIT_STATUS: TopicFilter = TopicFilter::from_static("modt/units/+/status");
/// `modt/units/+/info`: every unit's retained info.
pub const ALL_UNIT_INFO: TopicFilter = TopicFilter::from_static("modt/units/+/info");

const UNITS: &str = "modt/units";
const REPLY: &str = "modt/reply";
const DEAD_LETTER: &str = "modt/dead-letter";

fn build(prefix: &str, level: &str, suffix: Option<&str>) -> Result<Topic, TopicError> {
    check_level(level)?;
    match suffix {
        Some(s) => Topic::new(format!("{prefix}/{level}/{s}")),
        None => Topic::new(format!("{prefix}/{level}")),
    }
}

/// `modt/units/{unit_id}/status`: retained `online` / `offline` (docs/protocol.md §4).
pub fn unit_status(unit_id: &str) -> Result<Topic, TopicError> {
    build(UNITS, unit_id, Some("status"))
}

/// `modt/units/{unit_id}/info`: retained [`UnitInfo`](crate::protocol::UnitInfo).
pub fn unit_info(unit_id: &str) -> Result<Topic, TopicError> {
    build(UNITS, unit_id, Some("info"))
}

/// The unit id and last level of a presence topic `modt/units/{unit_id}/{what}`.
pub fn unit_topic_parts(topic: &str) -> Option<(&str, &str)> {
    let rest = topic.strip_prefix("modt/units/")?;
    let (unit_id, what) = rest.split_once('/')?;
    (!unit_id.is_empty() && !what.contains('/')).then_some((unit_id, what))
}

/// `modt/units/{unit_id}/ping`: request/reply health check.
pub fn unit_ping(unit_id: &str) -> Result<Topic, TopicError> {
    build(UNITS, unit_id, Some("ping"))
}

/// `modt/units/{unit_id}/pong`: where ping replies go when the ping carries no `reply_to`.
pub fn unit_pong(unit_id: &str) -> Result<Topic, TopicError> {
    build(UNITS, unit_id, Some("pong"))
}

/// `modt/dead-letter/{unit_id}`: payloads a unit could not handle (docs/protocol.md §5).
pub fn dead_letter(unit_id: &str) -> Result<Topic, TopicError> {
    build(DEAD_LETTER, unit_id, None)
}

/// The root of a client's private reply topics (`docs/protocol.md` §3):
/// `modt/reply/{account}/{client_id}` for a client logged in with a broker account, else
/// `modt/reply/{client_id}`. With the account in it, a broker that cannot tie client ids to
/// accounts (Mosquitto's ACL patterns `%u`/`%c`) still lets a client read only replies sent to
/// its own account and client id, whatever client id another account borrows.
pub fn reply_root(account: Option<&str>, client_id: &str) -> Result<Topic, TopicError> {
    check_level(client_id)?;
    match account {
        Some(account) => build(REPLY, account, Some(client_id)),
        None => build(REPLY, client_id, None),
    }
}

/// Whether `topic` is a private reply topic, `modt/reply/{client_id}/…` (at least one level
/// after the client id): the only place a unit sends a reply to, whatever a requester names.
pub fn is_reply_topic(topic: &str) -> bool {
    topic
        .strip_prefix(REPLY)
        .and_then(|rest| rest.strip_prefix('/'))
        .and_then(|rest| rest.split_once('/'))
        .is_some_and(|(client, rest)| !client.is_empty() && !rest.is_empty())
}

/// `$share/{group}/{filter}`: `filter` as an MQTT 5 shared subscription of `group`, whose
/// members the broker hands each matching message to one of.
pub fn shared(group: &str, filter: &TopicFilter) -> Result<TopicFilter, TopicError> {
    check_level(group)?;
    TopicFilter::new(format!("$share/{group}/{filter}"))
}

/// Encodes any string as one topic level: `%`, `/`, `+`, `#` and NUL become `%XX`.
pub fn encode_level(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' | '/' | '+' | '#' | '\0' => out.push_str(&format!("%{:02X}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// `modt/state/changed/{user_id}`: change events for one user. The user id is encoded with
/// [`encode_level`], so any user id has a topic.
pub fn state_changed(user_id: &str) -> Result<Topic, TopicError> {
    build("modt/state/changed", &encode_level(user_id), None)
}

/// `modt/todo/changed/{user_id}`: the todo unit's change events for one user (the user id
/// encoded with [`encode_level`]).
pub fn todo_changed(user_id: &str) -> Result<Topic, TopicError> {
    build("modt/todo/changed", &encode_level(user_id), None)
}

/// `modt/ingest/status/{connection_id}`: a connection's retained status.
pub fn ingest_status(connection_id: &str) -> Result<Topic, TopicError> {
    build("modt/ingest/status", &encode_level(connection_id), None)
}

/// `modt/ingest/devices/changed/{site}`: live device events of one site.
pub fn ingest_devices_changed(site: &str) -> Result<Topic, TopicError> {
    build("modt/ingest/devices/changed", &encode_level(site), None)
}

/// `modt/ingest/dead/{connection_id}`: what a connection's parsers refused, whole.
pub fn ingest_dead(connection_id: &str) -> Result<Topic, TopicError> {
    build("modt/ingest/dead", &encode_level(connection_id), None)
}

/// `{site}/gateway/{n}/…`: every device message on an external broker (docs/ingest.md).
pub const ALL_DEVICE_MESSAGES: TopicFilter = TopicFilter::from_static("+/gateway/#");

/// `{site}/gateway/{n}/status`: a gateway's status, on the external broker its devices
/// publish to (docs/ingest.md). Each id is one topic level, as it is (not encoded).
pub fn device_gateway_status(site: &str, gateway: &str) -> Result<Topic, TopicError> {
    check_level(site)?;
    build(&format!("{site}/gateway"), gateway, Some("status"))
}

/// `{site}/gateway/{n}/datalogger/{serial}`: one datalogger's readings (docs/ingest.md).
pub fn device_readings(site: &str, gateway: &str, serial: &str) -> Result<Topic, TopicError> {
    check_level(site)?;
    check_level(serial)?;
    build(
        &format!("{site}/gateway"),
        gateway,
        Some(&format!("datalogger/{serial}")),
    )
}

/// `modt/bench/{client_id}`: a benchmark client's own topic for the bare broker echo.
pub fn bench_bare(client_id: &str) -> Result<Topic, TopicError> {
    build("modt/bench", client_id, None)
}

/// `modt/bench/{client_id}/relay`: what a benchmark's bare relay sends back to `client_id`.
pub fn bench_relay(client_id: &str) -> Result<Topic, TopicError> {
    build("modt/bench", client_id, Some("relay"))
}

/// `modt/{unit}/{GET|POST|PUT}`: a request to the hub on behalf of `unit` (docs/protocol.md §2).
pub fn hub_request(unit: &str, method: super::HubMethod) -> Result<Topic, TopicError> {
    build("modt", unit, Some(method.as_str()))
}

/// `modt/{unit}/response`: the hub's answer to `unit`.
pub fn hub_response(unit: &str) -> Result<Topic, TopicError> {
    build("modt", unit, Some("response"))
}

/// The requesting unit and the verb of a hub request topic `modt/{unit}/{GET|POST|PUT}`,
/// or `None` when `topic` is not one.
pub fn hub_request_parts(topic: &str) -> Option<(&str, super::HubMethod)> {
    let rest = topic.strip_prefix("modt/")?;
    let (unit, verb) = rest.split_once('/')?;
    if unit.is_empty() || verb.contains('/') {
        return None;
    }
    Some((unit, super::HubMethod::from_level(verb)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_are_valid_topics() {
        for t in [
            AUTH_SUCCESS,
            APP_READY,
            SESSION_QUERY,
            SESSION_INFO,
            STATE_SET,
            STATE_GET,
            STATE_VALUE,
            STATE_KEYS_QUERY,
            STATE_KEYS_LIST,
            STATE_ALL_GET,
            STATE_ALL_VALUE,
            STATE_DELETE,
            STATE_CLEAR,
            ECHO,
            ECHO_REPLY,
        ] {
            assert_eq!(Topic::new(t.as_str()).unwrap(), t);
        }
        for f in [
            ALL_UNIT_STATUS,
            ALL_UNIT_INFO,
            ALL_HUB_GET,
            ALL_HUB_POST,
            ALL_HUB_PUT,
        ] {
            assert_eq!(TopicFilter::new(f.as_str()).unwrap(), f);
        }
    }

    #[test]
    fn builders_make_the_documented_topics() {
        assert_eq!(
            unit_status("echo").unwrap().as_str(),
            "modt/units/echo/status"
        );
        assert_eq!(
            dead_letter("state").unwrap().as_str(),
            "modt/dead-letter/state"
        );
        assert_eq!(reply_root(None, "c1").unwrap().as_str(), "modt/reply/c1");
        assert_eq!(
            reply_root(Some("viewer"), "viewer-1").unwrap().as_str(),
            "modt/reply/viewer/viewer-1"
        );
        assert!(unit_status("a/b").is_err());
        assert!(reply_root(None, "#").is_err());
        assert!(reply_root(Some("a/b"), "c").is_err());
        assert!(reply_root(Some("a"), "+").is_err());
        assert!(is_reply_topic("modt/reply/viewer/viewer-1/r1"));
        assert!(is_reply_topic("modt/reply/c1/r1"));
        assert!(is_reply_topic("modt/reply/c1/a/b"));
        for not_reply in [
            "modt/units/identify/status",
            "modt/auth/success",
            "modt/reply/c1",
            "modt/reply/c1/",
            "modt/reply//r1",
            "modt/replyx/c1/r1",
            "x/modt/reply/c1/r1",
        ] {
            assert!(!is_reply_topic(not_reply), "{not_reply}");
        }
        assert_eq!(
            hub_request("viewer", crate::protocol::HubMethod::Post)
                .unwrap()
                .as_str(),
            "modt/viewer/POST"
        );
        assert_eq!(
            hub_response("viewer").unwrap().as_str(),
            "modt/viewer/response"
        );
    }

    #[test]
    fn shared_subscriptions_name_their_group() {
        let f = shared("echo", &ECHO.to_filter()).unwrap();
        assert_eq!(f.as_str(), "$share/echo/modt/echo");
        assert!(f.matches("modt/echo"));
        assert!(shared("a/b", &ECHO.to_filter()).is_err());
        assert!(shared("+", &ECHO.to_filter()).is_err());
    }

    #[test]
    fn hub_request_topics_parse_back() {
        use crate::protocol::HubMethod;
        for m in [HubMethod::Get, HubMethod::Post, HubMethod::Put] {
            let t = hub_request("viewer", m).unwrap();
            assert_eq!(hub_request_parts(t.as_str()), Some(("viewer", m)));
        }
        assert!(ALL_HUB_GET.matches("modt/viewer/GET"));
        assert!(!ALL_HUB_GET.matches("modt/state/get"));
        assert_eq!(hub_request_parts("modt/viewer/response"), None);
        assert_eq!(hub_request_parts("modt/a/b/GET"), None);
        assert_eq!(hub_request_parts("modt//GET"), None);
        assert_eq!(hub_request_parts("other/viewer/GET"), None);
    }

    #[test]
    fn device_topics_have_one_level_per_id() {
        let status = device_gateway_status("milano", "2").unwrap();
        assert_eq!(status.as_str(), "milano/gateway/2/status");
        let readings = device_readings("milano", "2", "TX40-0001").unwrap();
        assert_eq!(readings.as_str(), "milano/gateway/2/datalogger/TX40-0001");
        assert!(ALL_DEVICE_MESSAGES.matches(status.as_str()));
        assert!(ALL_DEVICE_MESSAGES.matches(readings.as_str()));
        assert!(device_gateway_status("a/b", "1").is_err());
        assert!(device_readings("s", "1", "+").is_err());
        assert!(device_readings("s", "", "x").is_err());
    }
}
