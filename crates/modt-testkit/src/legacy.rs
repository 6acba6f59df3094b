//! A stand-in for the original Python units (identify's session lookup, the db-unit, the hub),
//! speaking only the legacy protocol as `docs/protocol.md` documents it, quirks included, so
//! tests can run Rust units against "the original" on one broker:
//!
//! - a client as paho makes it: MQTT 3.1.1, QoS 0 subscriptions and answers, no quick ACKs;
//! - no presence, no `info`: requesters cannot know it answers privately, because it does not;
//! - `reply_to` and `request_id` are ignored; every answer is a broadcast on the legacy topic;
//! - set, delete and clear are never acknowledged; `keys/query` is never answered;
//! - values are stored as the original stores them ([`as_the_original_stores`]: `true` reads
//!   back `"True"`, `"5"` reads back `5`);
//! - a get whose `user_id` or `key` is missing or not a string is answered `not_found` with
//!   both echoed ([`StateValueEcho`]).
//!
//! Sessions are given at start (the original identify's database is not this module's job).

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use modt::protocol::{
    as_the_original_stores, hub_status, topics, HubMethod, HubRequest, HubResponse, SessionInfo,
    SessionQuery, StateAllGet, StateAllValue, StateClear, StateDelete, StateGet, StateSet,
    StateValue, StateValueEcho, Timestamp, ValueStatus,
};
use modt::{Client, Message, MqttVersion, QoS, Topic, TopicFilter};
use serde::Serialize;
use serde_json::{Map, Value};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::TestBroker;

/// A valid session the stand-in vouches for: (session id, user id, role).
pub type LegacySession = (&'static str, &'static str, &'static str);

/// The original units' answers, on a broker of a test. Stopped on drop.
#[derive(Debug)]
pub struct LegacyStandIn {
    stop: CancellationToken,
    task: Option<JoinHandle<()>>,
}

#[derive(Default)]
struct Stores {
    sessions: HashMap<String, (String, String)>,
    /// user id → key → value as the original reads it back.
    state: HashMap<String, BTreeMap<String, Value>>,
    /// The hub's live values.
    hub: HashMap<String, Value>,
}

impl LegacyStandIn {
    /// Connects to `broker` and answers until stopped; returns once it is subscribed.
    pub async fn start(broker: &TestBroker, sessions: &[LegacySession]) -> LegacyStandIn {
        let mut cfg = broker.client_config("legacy-standin", MqttVersion::V311);
        cfg.tcp_quickack = false;
        let client = Client::connect(cfg).await.expect("stand-in connects");
        let (inbox, rx) = client.inbox();
        let mut filters: Vec<TopicFilter> = [
            &topics::SESSION_QUERY,
            &topics::STATE_SET,
            &topics::STATE_GET,
            &topics::STATE_ALL_GET,
            &topics::STATE_DELETE,
            &topics::STATE_CLEAR,
            &topics::STATE_KEYS_QUERY,
        ]
        .into_iter()
        .map(Topic::to_filter)
        .collect();
        filters.extend([
            topics::ALL_HUB_GET,
            topics::ALL_HUB_POST,
            topics::ALL_HUB_PUT,
        ]);
        for f in &filters {
            client
                .subscribe_into(f, QoS::AtMostOnce, &inbox)
                .await
                .expect("stand-in subscribes");
        }
        let mut stores = Stores::default();
        for (sid, uid, role) in sessions {
            stores
                .sessions
                .insert((*sid).into(), ((*uid).into(), (*role).into()));
        }
        let stop = CancellationToken::new();
        let task = tokio::spawn(serve(client, rx, stores, stop.clone()));
        LegacyStandIn {
            stop,
            task: Some(task),
        }
    }

    /// Stops answering and disconnects.
    pub async fn stop(mut self) {
        self.stop.cancel();
        if let Some(t) = self.task.take() {
            let _ = tokio::time::timeout(Duration::from_secs(5), t).await;
        }
    }
}

impl Drop for LegacyStandIn {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

async fn serve(
    client: Client,
    rx: modt::Subscription,
    mut stores: Stores,
    stop: CancellationToken,
) {
    let mut rx = rx;
    loop {
        let msg = tokio::select! {
            _ = stop.cancelled() => break,
            m = rx.recv() => match m { Some(m) => m, None => break },
        };
        // One message at a time, in order, as the original's paho loop.
        if let Some((topic, answer)) = stores.answer(&msg) {
            let _ = client
                .publish_json_qos(&topic, &answer, QoS::AtMostOnce)
                .await;
        }
    }
    client.shutdown().await;
}

/// An answer, as JSON, for the topic it goes to.
type Answer = (Topic, Value);

fn json(v: impl Serialize) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

impl Stores {
    fn answer(&mut self, msg: &Message) -> Option<Answer> {
        let t = msg.topic.as_str();
        if t == topics::SESSION_QUERY.as_str() {
            let q: SessionQuery = msg.json().ok()?;
            let info = match self.sessions.get(&q.session_id) {
                Some((uid, role)) => SessionInfo::valid(&q.session_id, uid, role),
                None => SessionInfo::invalid(&q.session_id),
            };
            return Some((topics::SESSION_INFO, json(info)));
        }
        if let Some((unit, method)) = topics::hub_request_parts(t) {
            let response = topics::hub_response(unit).ok()?;
            return Some((response, json(self.hub(method, msg.json().ok()?))));
        }
        self.state(t, msg)
    }

    fn state(&mut self, t: &str, msg: &Message) -> Option<Answer> {
        if t == topics::STATE_SET.as_str() {
            let s: StateSet = msg.json().ok()?;
            let stored = as_the_original_stores(&s.value);
            self.state
                .entry(s.user_id)
                .or_default()
                .insert(s.key, stored);
        } else if t == topics::STATE_DELETE.as_str() {
            let d: StateDelete = msg.json().ok()?;
            if let Some(keys) = self.state.get_mut(&d.user_id) {
                keys.remove(&d.key);
            }
        } else if t == topics::STATE_CLEAR.as_str() {
            let c: StateClear = msg.json().ok()?;
            self.state.remove(&c.user_id);
        } else if t == topics::STATE_GET.as_str() {
            return Some((topics::STATE_VALUE, self.get(msg)));
        } else if t == topics::STATE_ALL_GET.as_str() {
            let a: StateAllGet = msg.json().ok()?;
            let data: Map<String, Value> = self
                .state
                .get(&a.user_id)
                .map(|keys| keys.clone().into_iter().collect())
                .unwrap_or_default();
            let all = StateAllValue {
                timestamp: Some(Timestamp::now()),
                user_id: a.user_id,
                data,
                meta: None,
                correlation: Default::default(),
            };
            return Some((topics::STATE_ALL_VALUE, json(all)));
        }
        // keys/query: the original never answers it.
        None
    }

    fn get(&self, msg: &Message) -> Value {
        let Ok(g) = msg.json::<StateGet>() else {
            return StateValueEcho::for_payload(&msg.payload).map_or(Value::Null, json);
        };
        let found = self.state.get(&g.user_id).and_then(|k| k.get(&g.key));
        json(StateValue {
            timestamp: Some(Timestamp::now()),
            status: match found {
                Some(_) => ValueStatus::Valid,
                None => ValueStatus::NotFound,
            },
            value: found.cloned().unwrap_or(Value::Null),
            user_id: g.user_id,
            key: g.key,
            version: None,
            updated_at: None,
            correlation: Default::default(),
        })
    }

    fn hub(&mut self, method: HubMethod, req: HubRequest) -> HubResponse {
        let status = match (method, req.value) {
            (HubMethod::Get, _) => match self.hub.get(&req.key) {
                Some(v) => return HubResponse::new(req.id, req.key, hub_status::LIVE, v.clone()),
                None => hub_status::NOT_FOUND,
            },
            (HubMethod::Put, _) if !self.hub.contains_key(&req.key) => hub_status::NOT_FOUND,
            (_, Some(v)) => {
                self.hub.insert(req.key.clone(), v.clone());
                return HubResponse::new(req.id, req.key, hub_status::LIVE, v);
            }
            (_, None) => hub_status::NOT_FOUND,
        };
        HubResponse::new(req.id, req.key, status, Value::Null)
    }
}
