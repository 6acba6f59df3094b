//! The simulated devices and how their values drift: each site's gateways (online or not,
//! signal strength, uptime) and each gateway's dataloggers with their sensors. Temperature
//! follows a daily curve (coolest before dawn, warmest mid-afternoon) plus a slow random walk
//! and noise; humidity moves against temperature; battery voltage sags and is replaced;
//! pressure wanders. Everything random comes from one seeded generator, so a seed gives the
//! same devices and the same values in the same order.

use std::f64::consts::TAU;

use chrono::{DateTime, Timelike, Utc};

use super::message::{round, timestamp, GatewayStatus, Reading, Readings};

/// Site names, used in turn; more sites than names get a number after the name.
const SITE_NAMES: &[&str] = &[
    "milano", "torino", "bologna", "verona", "padova", "genova", "firenze", "trieste",
];
/// Datalogger models, with their firmware.
const MODELS: &[(&str, &str)] = &[("TX-40", "2.1.0"), ("TX-40", "2.1.3"), ("LG-7", "1.0.9")];
/// The gateways' firmware.
const GATEWAY_FIRMWARE: &str = "1.4.2";
/// Chance that an online gateway reports offline in a status message, and that an offline
/// one comes back.
const GO_OFFLINE: f64 = 0.02;
const COME_BACK: f64 = 0.3;
/// Battery voltage at which a datalogger's battery is replaced, and its fresh voltage.
const BATTERY_LOW: f64 = 3.3;
const BATTERY_FULL: f64 = 4.15;

/// The shape of the fleet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Shape {
    /// Sites.
    pub(crate) sites: usize,
    /// Gateways per site.
    pub(crate) gateways: usize,
    /// Dataloggers per gateway.
    pub(crate) dataloggers: usize,
}

impl Shape {
    /// Dataloggers in all.
    pub(crate) fn total_dataloggers(&self) -> usize {
        self.sites * self.gateways * self.dataloggers
    }
}

/// A gateway and what its status says.
#[derive(Debug, Clone)]
pub(crate) struct Gateway {
    pub(crate) site: String,
    pub(crate) id: String,
    online: bool,
    rssi: f64,
    rssi_base: f64,
    up_since: DateTime<Utc>,
}

/// A datalogger and its sensors' hidden state.
#[derive(Debug, Clone)]
pub(crate) struct Datalogger {
    pub(crate) serial: String,
    model: &'static str,
    firmware: &'static str,
    seq: u64,
    /// Daily mean temperature, °C, and half the daily swing.
    mean_c: f64,
    swing_c: f64,
    /// The slow random walk added to the curve.
    walk_c: f64,
    /// Relative humidity at the daily mean temperature, %.
    humidity_at_mean: f64,
    volts: f64,
    /// Offset from 1013 hPa, for dataloggers with a pressure sensor.
    pressure: Option<f64>,
}

/// Every device of the run.
#[derive(Debug, Clone)]
pub(crate) struct Fleet {
    pub(crate) gateways: Vec<Gateway>,
    pub(crate) dataloggers: Vec<Datalogger>,
    /// How long a simulated day lasts.
    day: std::time::Duration,
}

impl Fleet {
    /// A fleet of `shape`, its devices' traits drawn from `rng`.
    pub(crate) fn new(
        shape: Shape,
        day: std::time::Duration,
        now: DateTime<Utc>,
        rng: &mut fastrand::Rng,
    ) -> Fleet {
        let mut gateways = Vec::new();
        let mut dataloggers = Vec::new();
        for s in 0..shape.sites {
            let site = site_name(s);
            let climate = 8.0 + rng.f64() * 14.0;
            for g in 1..=shape.gateways {
                let rssi_base = -95.0 + rng.f64() * 45.0;
                gateways.push(Gateway {
                    site: site.clone(),
                    id: g.to_string(),
                    online: true,
                    rssi: rssi_base,
                    rssi_base,
                    up_since: now - chrono::Duration::seconds(rng.i64(600..3_000_000)),
                });
                for _ in 0..shape.dataloggers {
                    let (model, firmware) = MODELS[rng.usize(..MODELS.len())];
                    dataloggers.push(Datalogger {
                        serial: format!("{}-{:06X}", model.replace('-', ""), rng.u32(..0xFF_FFFF)),
                        model,
                        firmware,
                        seq: rng.u64(..10_000),
                        mean_c: climate + rng.f64() * 3.0,
                        swing_c: 2.0 + rng.f64() * 4.0,
                        walk_c: 0.0,
                        humidity_at_mean: 40.0 + rng.f64() * 25.0,
                        volts: 3.5 + rng.f64() * 0.65,
                        pressure: rng.bool().then_some(0.0),
                    });
                }
            }
        }
        Fleet {
            gateways,
            dataloggers,
            day,
        }
    }

    /// Where in its day the fleet is at `now`: 0 at midnight, 0.5 at noon.
    fn day_phase(&self, now: DateTime<Utc>) -> f64 {
        let day_ms = self.day.as_millis().max(1) as f64;
        let since_midnight = f64::from(now.num_seconds_from_midnight()) * 1000.0
            + f64::from(now.timestamp_subsec_millis());
        let ms = if self.day == std::time::Duration::from_secs(86_400) {
            since_midnight
        } else {
            now.timestamp_millis() as f64 % day_ms
        };
        ms / day_ms
    }

    /// The next status of gateway `i`.
    pub(crate) fn status(
        &mut self,
        i: usize,
        now: DateTime<Utc>,
        rng: &mut fastrand::Rng,
    ) -> GatewayStatus {
        let g = &mut self.gateways[i];
        if g.online && rng.f64() < GO_OFFLINE {
            g.online = false;
        } else if !g.online && rng.f64() < COME_BACK {
            g.online = true;
            g.up_since = now;
        }
        // Signal strength wanders, pulled back towards the gateway's usual level.
        g.rssi += 0.2 * (g.rssi_base - g.rssi) + normal(rng) * 2.0;
        g.rssi = g.rssi.clamp(-120.0, -30.0);
        GatewayStatus {
            ts: timestamp(now),
            online: g.online,
            rssi: g.rssi.round() as i32,
            uptime_s: (now - g.up_since).num_seconds().max(0).unsigned_abs(),
            firmware: GATEWAY_FIRMWARE,
        }
    }

    /// The next readings of datalogger `i`.
    pub(crate) fn readings(
        &mut self,
        i: usize,
        now: DateTime<Utc>,
        rng: &mut fastrand::Rng,
    ) -> Readings {
        let phase = self.day_phase(now);
        let d = &mut self.dataloggers[i];
        d.seq += 1;
        // Coolest at 03:00, warmest at 15:00 of the simulated day.
        let curve = d.swing_c * (TAU * (phase - 0.375)).sin();
        d.walk_c = (d.walk_c + normal(rng) * 0.03).clamp(-2.0, 2.0);
        let above_mean = curve + d.walk_c;
        let temperature = d.mean_c + above_mean + normal(rng) * 0.08;
        let humidity =
            (d.humidity_at_mean - 2.2 * above_mean + normal(rng) * 0.6).clamp(5.0, 100.0);
        d.volts -= 0.000_05 + normal(rng).abs() * 0.000_02;
        if d.volts < BATTERY_LOW {
            d.volts = BATTERY_FULL;
        }
        let mut readings = vec![
            Reading {
                sensor: "t1",
                kind: "temperature",
                unit: "°C",
                value: round(temperature, 2),
            },
            Reading {
                sensor: "h1",
                kind: "humidity",
                unit: "%",
                value: round(humidity, 1),
            },
            Reading {
                sensor: "v1",
                kind: "voltage",
                unit: "V",
                value: round(d.volts + normal(rng) * 0.004, 3),
            },
        ];
        if let Some(p) = d.pressure.as_mut() {
            *p = (*p + normal(rng) * 0.08).clamp(-25.0, 25.0);
            readings.push(Reading {
                sensor: "p1",
                kind: "pressure",
                unit: "hPa",
                value: round(1013.0 + *p, 1),
            });
        }
        Readings {
            ts: timestamp(now),
            model: d.model,
            firmware: d.firmware,
            seq: d.seq,
            readings,
        }
    }
}

/// The name of site `i`.
fn site_name(i: usize) -> String {
    let name = SITE_NAMES[i % SITE_NAMES.len()];
    match i / SITE_NAMES.len() {
        0 => name.to_owned(),
        n => format!("{name}-{}", n + 1),
    }
}

/// A standard normal draw (Box–Muller).
fn normal(rng: &mut fastrand::Rng) -> f64 {
    let u = rng.f64().max(f64::MIN_POSITIVE);
    let v = rng.f64();
    (-2.0 * u.ln()).sqrt() * (TAU * v).cos()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn fleet(seed: u64) -> (Fleet, fastrand::Rng) {
        let mut rng = fastrand::Rng::with_seed(seed);
        let shape = Shape {
            sites: 10,
            gateways: 2,
            dataloggers: 3,
        };
        let now = Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap();
        let day = std::time::Duration::from_secs(86_400);
        (Fleet::new(shape, day, now, &mut rng), rng)
    }

    #[test]
    fn the_shape_makes_the_devices_with_unique_names() {
        let (f, _) = fleet(1);
        assert_eq!(f.gateways.len(), 20);
        assert_eq!(f.dataloggers.len(), 60);
        let sites: std::collections::BTreeSet<_> = f.gateways.iter().map(|g| &g.site).collect();
        assert_eq!(sites.len(), 10, "{sites:?}");
        assert!(sites.contains(&"milano-2".to_owned()));
        let serials: std::collections::BTreeSet<_> =
            f.dataloggers.iter().map(|d| &d.serial).collect();
        assert_eq!(serials.len(), 60);
    }

    #[test]
    fn temperature_follows_the_day_and_values_stay_plausible() {
        let (mut f, mut rng) = fleet(7);
        let at = |h| Utc.with_ymd_and_hms(2026, 11, 30, h, 0, 0).unwrap();
        let mean = |f: &mut Fleet, rng: &mut fastrand::Rng, h| {
            let sum: f64 = (0..f.dataloggers.len())
                .map(|i| f.readings(i, at(h), rng).readings[0].value)
                .sum();
            sum / f.dataloggers.len() as f64
        };
        let dawn = mean(&mut f, &mut rng, 3);
        let afternoon = mean(&mut f, &mut rng, 15);
        assert!(afternoon > dawn + 3.0, "{dawn} → {afternoon}");
        for i in 0..f.dataloggers.len() {
            for _ in 0..200 {
                let r = f.readings(i, at(9), &mut rng);
                for reading in &r.readings {
                    assert!(reading.value.is_finite());
                    match reading.kind {
                        "temperature" => assert!((-10.0..45.0).contains(&reading.value)),
                        "humidity" => assert!((5.0..=100.0).contains(&reading.value)),
                        "voltage" => assert!((3.2..4.3).contains(&reading.value)),
                        "pressure" => assert!((985.0..1040.0).contains(&reading.value)),
                        other => panic!("unexpected kind {other}"),
                    }
                }
            }
            let s = f.status(i % f.gateways.len(), at(9), &mut rng);
            assert!((-140..=0).contains(&s.rssi));
        }
    }

    #[test]
    fn a_seed_gives_the_same_values() {
        let now = Utc.with_ymd_and_hms(2026, 11, 30, 8, 0, 0).unwrap();
        let run = |seed| {
            let (mut f, mut rng) = fleet(seed);
            (0..30)
                .map(|i| serde_json::to_string(&f.readings(i, now, &mut rng)).unwrap())
                .collect::<Vec<_>>()
        };
        assert_eq!(run(3), run(3));
        assert_ne!(run(3), run(4));
    }
}
