//! [`Generator`]: the stream of messages a run sends, in a fixed order. A round visits every
//! gateway: its status (on the first round and every `status_every` rounds after), then each
//! of its dataloggers' readings. Before each message a draw decides whether it is sent
//! broken instead (with the share of [`Plan::malformed`]); the broken kinds take turns, so a
//! few broken messages already cover every kind.

use chrono::{DateTime, Utc};
use modt::protocol::topics;
use modt::protocol::TopicError;
use modt::Topic;

use super::broken::{self, Valid};
use super::fleet::{Fleet, Shape};
use super::kind::Kind;
use serde::Serialize;

use super::message::{GatewayStatus, Reading, Readings};

/// What a run sends, apart from how fast.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    /// Sites, gateways per site, dataloggers per gateway.
    pub(crate) shape: Shape,
    /// The share of messages sent broken, 0…1.
    pub(crate) malformed: f64,
    /// A gateway sends its status every this many rounds (at least 1).
    pub(crate) status_every: u64,
    /// The size of a too-large payload, bytes.
    pub(crate) oversize: usize,
    /// How long a simulated day lasts (the temperature curve's period).
    pub(crate) day: std::time::Duration,
    /// Add a `counter` reading (sensor `n`) holding the message's number to every readings
    /// message, so that a benchmark can tell which message an update came from.
    pub(crate) mark: bool,
}

/// One message to send.
#[derive(Debug)]
pub(crate) struct SimMessage {
    pub(crate) topic: Topic,
    pub(crate) payload: Vec<u8>,
    pub(crate) kind: Kind,
    /// Its number in the run, from 0 (with [`Plan::mark`], also in its `counter` reading).
    pub(crate) number: u64,
}

/// The sensor id of the benchmark's counter reading.
pub(crate) const MARK_SENSOR: &str = "n";

/// Makes a run's messages.
#[derive(Debug)]
pub(crate) struct Generator {
    plan: Plan,
    fleet: Fleet,
    rng: fastrand::Rng,
    /// Position within the round: gateway `slot / (1 + D)`, then its status (0) or its
    /// datalogger `slot % (1 + D) - 1`.
    slot: usize,
    round: u64,
    broken: u64,
    made: u64,
}

impl Generator {
    /// The generator of `plan` with `seed`, its devices made as at `now`.
    pub(crate) fn new(plan: Plan, seed: u64, now: DateTime<Utc>) -> Generator {
        let mut rng = fastrand::Rng::with_seed(seed);
        let fleet = Fleet::new(plan.shape, plan.day, now, &mut rng);
        Generator {
            plan,
            fleet,
            rng,
            slot: 0,
            round: 0,
            broken: 0,
            made: 0,
        }
    }

    /// The next message, stamped `now`.
    pub(crate) fn next(&mut self, now: DateTime<Utc>) -> Result<SimMessage, TopicError> {
        let (gateway, datalogger) = self.advance();
        let number = self.made;
        self.made += 1;
        let broken = (self.plan.malformed > 0.0 && self.rng.f64() < self.plan.malformed)
            .then(|| self.next_broken());
        let (gateway, datalogger) = match broken {
            // Only readings can break the mapping way: take the next datalogger's turn.
            Some((Kind::Mapping, _)) if datalogger.is_none() => self.next_datalogger(),
            _ => (gateway, datalogger),
        };
        let oversize = self.plan.oversize;
        let (valid, payload) = self.valid(gateway, datalogger, number, now)?;
        let Some((kind, turn)) = broken else {
            let kind = match payload {
                Payload::Readings(_) => Kind::Readings,
                Payload::Status(_) => Kind::Status,
            };
            return Ok(SimMessage {
                topic: valid.topic,
                payload: serde_json::to_vec(&payload).unwrap_or_default(),
                kind,
                number,
            });
        };
        let b = broken::make(kind, turn, valid, &payload, oversize)?;
        Ok(SimMessage {
            topic: b.topic,
            payload: b.payload,
            kind,
            number,
        })
    }

    /// The broken kind whose turn it is, and which turn of it. Without dataloggers there is
    /// nothing to break the mapping way, and that kind is left out.
    fn next_broken(&mut self) -> (Kind, u64) {
        let kinds: &[Kind] = if self.plan.shape.dataloggers == 0 {
            &[Kind::NotJson, Kind::Schema, Kind::Topic, Kind::TooLarge]
        } else {
            &Kind::BROKEN
        };
        let n = kinds.len() as u64;
        let kind = kinds[(self.broken % n) as usize];
        let turn = self.broken / n;
        self.broken += 1;
        (kind, turn)
    }

    /// Moves on to the next datalogger (there is at least one).
    fn next_datalogger(&mut self) -> (usize, Option<usize>) {
        loop {
            if let (gateway, Some(d)) = self.advance() {
                return (gateway, Some(d));
            }
        }
    }

    /// Moves to the next device: its gateway's index, and its datalogger's for readings
    /// (`None` for the gateway's status).
    fn advance(&mut self) -> (usize, Option<usize>) {
        let per_gateway = 1 + self.plan.shape.dataloggers;
        let slots = self.fleet.gateways.len() * per_gateway;
        loop {
            let slot = self.slot;
            self.slot += 1;
            if self.slot >= slots {
                self.slot = 0;
                self.round += 1;
            }
            let (gateway, j) = (slot / per_gateway, slot % per_gateway);
            if j > 0 {
                return (gateway, Some(gateway * self.plan.shape.dataloggers + j - 1));
            }
            if self.round.is_multiple_of(self.plan.status_every.max(1)) || per_gateway == 1 {
                return (gateway, None);
            }
        }
    }

    /// The valid message of the device (message `number`) and its place.
    fn valid(
        &mut self,
        gateway: usize,
        datalogger: Option<usize>,
        number: u64,
        now: DateTime<Utc>,
    ) -> Result<(Valid<'_>, Payload), TopicError> {
        let payload = match datalogger {
            Some(d) => {
                let mut readings = self.fleet.readings(d, now, &mut self.rng);
                if self.plan.mark {
                    readings.readings.push(Reading {
                        sensor: MARK_SENSOR,
                        kind: "counter",
                        unit: "",
                        value: number as f64,
                    });
                }
                Payload::Readings(readings)
            }
            None => Payload::Status(self.fleet.status(gateway, now, &mut self.rng)),
        };
        let g = &self.fleet.gateways[gateway];
        let serial = datalogger.map(|d| self.fleet.dataloggers[d].serial.as_str());
        let topic = match serial {
            Some(s) => topics::device_readings(&g.site, &g.id, s)?,
            None => topics::device_gateway_status(&g.site, &g.id)?,
        };
        let valid = Valid {
            site: &g.site,
            gateway: &g.id,
            serial,
            topic,
        };
        Ok((valid, payload))
    }
}

/// A valid message of either kind.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub(crate) enum Payload {
    Status(GatewayStatus),
    Readings(Readings),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::sim::kind::Counts;
    use chrono::TimeZone;

    fn plan(malformed: f64) -> Plan {
        Plan {
            shape: Shape {
                sites: 2,
                gateways: 2,
                dataloggers: 3,
            },
            malformed,
            status_every: 10,
            oversize: 70_000,
            day: std::time::Duration::from_secs(86_400),
            mark: false,
        }
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 30, 19, 40, 0).unwrap()
    }

    fn run(plan: Plan, seed: u64, n: usize) -> Vec<SimMessage> {
        let mut g = Generator::new(plan, seed, now());
        (0..n).map(|_| g.next(now()).unwrap()).collect()
    }

    #[test]
    fn a_round_is_each_gateways_status_then_its_dataloggers() {
        let msgs = run(plan(0.0), 1, 16 + 12);
        let topics: Vec<_> = msgs.iter().map(|m| m.topic.as_str().to_owned()).collect();
        assert_eq!(topics[0], "milano/gateway/1/status");
        assert!(topics[1].starts_with("milano/gateway/1/datalogger/"));
        assert_eq!(topics[4], "milano/gateway/2/status");
        assert_eq!(topics[12], "torino/gateway/2/status");
        // The second round has no statuses (every 10th round).
        assert!(
            topics[16..].iter().all(|t| t.contains("/datalogger/")),
            "{topics:?}"
        );
        assert_eq!(topics[1], topics[16]);
    }

    #[test]
    fn valid_messages_keep_the_documented_rules() {
        for m in run(plan(0.0), 2, 200) {
            assert!(m.kind.is_valid());
            let v: serde_json::Value = serde_json::from_slice(&m.payload).unwrap();
            let ts = v["ts"].as_str().unwrap();
            assert!(DateTime::parse_from_rfc3339(ts).is_ok(), "{ts}");
            let levels: Vec<_> = m.topic.as_str().split('/').collect();
            assert!(levels.iter().all(|l| (1..=64).contains(&l.chars().count())));
            if m.kind == Kind::Status {
                assert_eq!(levels.len(), 4);
                assert!(v["online"].is_boolean());
                assert!((-140..=0).contains(&v["rssi"].as_i64().unwrap()));
            } else {
                assert_eq!(levels.len(), 5);
                let readings = v["readings"].as_array().unwrap();
                assert!((1..=64).contains(&readings.len()));
                let mut ids = std::collections::BTreeSet::new();
                for r in readings {
                    let id = r["sensor"].as_str().unwrap();
                    assert!(id
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'));
                    assert!(ids.insert(id.to_owned()), "unique sensors");
                    assert!(r["value"].as_f64().unwrap().is_finite());
                    assert!((1..=32).contains(&r["kind"].as_str().unwrap().len()));
                }
            }
        }
    }

    #[test]
    fn every_broken_kind_comes_in_turn_and_the_share_holds() {
        let msgs = run(plan(0.25), 3, 4000);
        let mut counts = Counts::default();
        for m in &msgs {
            counts.add(m.kind);
        }
        for k in Kind::ALL {
            assert!(counts.get(k) > 0, "{k:?}: {counts:?}");
        }
        let share = counts.broken() as f64 / counts.total() as f64;
        assert!((0.22..0.28).contains(&share), "{share}");
        let first: Vec<_> = msgs
            .iter()
            .filter(|m| !m.kind.is_valid())
            .take(5)
            .map(|m| m.kind)
            .collect();
        assert_eq!(first, Kind::BROKEN);
        for m in msgs.iter().filter(|m| !m.kind.is_valid()) {
            let parsed = serde_json::from_slice::<serde_json::Value>(&m.payload);
            match m.kind {
                Kind::NotJson => assert!(parsed.is_err()),
                Kind::TooLarge => assert!(m.payload.len() >= 70_000),
                Kind::Topic => assert!(m.topic.as_str().split('/').any(|l| l.chars().count() > 64)),
                _ => assert!(parsed.is_ok()),
            }
        }
    }

    #[test]
    fn a_seed_repeats_the_run_and_marks_number_the_readings() {
        let a: Vec<_> = run(plan(0.1), 9, 300)
            .into_iter()
            .map(|m| m.payload)
            .collect();
        let b: Vec<_> = run(plan(0.1), 9, 300)
            .into_iter()
            .map(|m| m.payload)
            .collect();
        assert_eq!(a, b);
        let marked = run(
            Plan {
                mark: true,
                ..plan(0.0)
            },
            9,
            20,
        );
        let m = marked.iter().find(|m| m.kind == Kind::Readings).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&m.payload).unwrap();
        let last = v["readings"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["sensor"], MARK_SENSOR);
        assert_eq!(last["value"].as_f64(), Some(m.number as f64));
    }
}
