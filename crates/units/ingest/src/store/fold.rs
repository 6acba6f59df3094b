//! A batch's device changes folded per row, for both backends: each gateway, datalogger and
//! sensor once, with what the batch's messages made of it in arrival order (the last status,
//! the last model and firmware given, the latest value) and every history point of each
//! sensor — so a batch writes each row once however many of its messages touched it, instead
//! of one statement per message and reading.

use std::collections::HashMap;

use modt::protocol::ingest::MAX_HISTORY_POINTS;

use crate::model::DeviceUpdate;

/// A gateway's change over a batch.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct GatewayRow<'a> {
    pub(crate) site: &'a str,
    pub(crate) gateway: &'a str,
    /// The last status message's `online` and `rssi`, if the batch had one.
    pub(crate) status: Option<(bool, Option<i32>)>,
    /// The latest time any message of the batch gave.
    pub(crate) last_ms: i64,
}

/// A datalogger's change over a batch.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DataloggerRow<'a> {
    pub(crate) site: &'a str,
    pub(crate) gateway: &'a str,
    pub(crate) datalogger: &'a str,
    /// The last model a message gave (`None`: none did, the stored one stays).
    pub(crate) model: Option<&'a str>,
    /// The last firmware a message gave.
    pub(crate) firmware: Option<&'a str>,
    pub(crate) last_ms: i64,
}

/// A sensor's change over a batch.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SensorRow<'a> {
    pub(crate) site: &'a str,
    pub(crate) gateway: &'a str,
    pub(crate) datalogger: &'a str,
    pub(crate) sensor: &'a str,
    /// The last reading's kind, unit, value and time.
    pub(crate) kind: &'a str,
    pub(crate) unit: &'a str,
    pub(crate) value: f64,
    pub(crate) at_ms: i64,
    /// Readings in the batch (each one a history point, numbered on).
    pub(crate) count: i64,
    /// The last [`MAX_HISTORY_POINTS`] of them, `(at_ms, value)` in arrival order: earlier
    /// ones would be overwritten in the ring by these anyway.
    pub(crate) points: Vec<(i64, f64)>,
}

impl SensorRow<'_> {
    /// The history numbers of [`SensorRow::points`], given the sensor's point count after
    /// the batch (`points` column, counted from 1).
    pub(crate) fn numbered(&self, points_after: i64) -> impl Iterator<Item = (i64, i64, f64)> + '_ {
        let first = points_after - self.points.len() as i64 + 1;
        self.points
            .iter()
            .enumerate()
            .map(move |(i, &(at, v))| (first + i as i64, at, v))
    }
}

/// The rows a batch changes, each once, in order of first appearance.
#[derive(Debug, Default)]
pub(crate) struct Folded<'a> {
    pub(crate) gateways: Vec<GatewayRow<'a>>,
    pub(crate) dataloggers: Vec<DataloggerRow<'a>>,
    pub(crate) sensors: Vec<SensorRow<'a>>,
}

type Key<'a> = (&'a str, &'a str, &'a str, &'a str);

/// Folds `updates` (in arrival order) per row.
pub(crate) fn fold(updates: &[DeviceUpdate]) -> Folded<'_> {
    let mut out = Folded::default();
    let mut gateways: HashMap<(&str, &str), usize> = HashMap::new();
    let mut dataloggers: HashMap<(&str, &str, &str), usize> = HashMap::new();
    let mut sensors: HashMap<Key<'_>, usize> = HashMap::new();
    for u in updates {
        match u {
            DeviceUpdate::GatewayStatus {
                site,
                gateway,
                online,
                rssi,
                at_ms,
            } => {
                let g = gateway_row(
                    &mut out,
                    &mut gateways,
                    site.as_str(),
                    gateway.as_str(),
                    *at_ms,
                );
                g.status = Some((*online, *rssi));
            }
            DeviceUpdate::Readings {
                site,
                gateway,
                datalogger,
                model,
                firmware,
                at_ms,
                readings,
            } => {
                let (site, gateway, datalogger) =
                    (site.as_str(), gateway.as_str(), datalogger.as_str());
                gateway_row(&mut out, &mut gateways, site, gateway, *at_ms);
                let i = *dataloggers
                    .entry((site, gateway, datalogger))
                    .or_insert_with(|| {
                        out.dataloggers.push(DataloggerRow {
                            site,
                            gateway,
                            datalogger,
                            model: None,
                            firmware: None,
                            last_ms: *at_ms,
                        });
                        out.dataloggers.len() - 1
                    });
                let d = &mut out.dataloggers[i];
                d.model = model.as_deref().or(d.model);
                d.firmware = firmware.as_deref().or(d.firmware);
                d.last_ms = d.last_ms.max(*at_ms);
                for r in readings {
                    let i = *sensors
                        .entry((site, gateway, datalogger, r.sensor.as_str()))
                        .or_insert_with(|| {
                            out.sensors.push(SensorRow {
                                site,
                                gateway,
                                datalogger,
                                sensor: r.sensor.as_str(),
                                kind: r.kind.as_str(),
                                unit: r.unit.as_str(),
                                value: r.value,
                                at_ms: *at_ms,
                                count: 0,
                                points: Vec::new(),
                            });
                            out.sensors.len() - 1
                        });
                    let s = &mut out.sensors[i];
                    (s.kind, s.unit) = (r.kind.as_str(), r.unit.as_str());
                    (s.value, s.at_ms) = (r.value, *at_ms);
                    s.count += 1;
                    if s.points.len() == MAX_HISTORY_POINTS {
                        s.points.remove(0);
                    }
                    s.points.push((*at_ms, r.value));
                }
            }
        }
    }
    out
}

fn gateway_row<'a, 'b>(
    out: &'b mut Folded<'a>,
    index: &mut HashMap<(&'a str, &'a str), usize>,
    site: &'a str,
    gateway: &'a str,
    at_ms: i64,
) -> &'b mut GatewayRow<'a> {
    let i = *index.entry((site, gateway)).or_insert_with(|| {
        out.gateways.push(GatewayRow {
            site,
            gateway,
            status: None,
            last_ms: at_ms,
        });
        out.gateways.len() - 1
    });
    let g = &mut out.gateways[i];
    g.last_ms = g.last_ms.max(at_ms);
    g
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Reading;

    fn readings(
        dl: &str,
        sensor: &str,
        at_ms: i64,
        value: f64,
        model: Option<&str>,
    ) -> DeviceUpdate {
        DeviceUpdate::Readings {
            site: "s".into(),
            gateway: "g".into(),
            datalogger: dl.into(),
            model: model.map(Into::into),
            firmware: None,
            at_ms,
            readings: vec![Reading {
                sensor: sensor.into(),
                kind: "temperature".into(),
                unit: "°C".into(),
                value,
            }],
        }
    }

    #[test]
    fn each_row_once_with_the_last_values_and_every_point() {
        let updates = vec![
            readings("d1", "t1", 10, 1.0, Some("A")),
            readings("d1", "t1", 5, 2.0, None),
            readings("d2", "t1", 7, 3.0, None),
            DeviceUpdate::GatewayStatus {
                site: "s".into(),
                gateway: "g".into(),
                online: false,
                rssi: Some(-70),
                at_ms: 8,
            },
        ];
        let f = fold(&updates);
        assert_eq!(f.gateways.len(), 1);
        assert_eq!(f.gateways[0].status, Some((false, Some(-70))));
        assert_eq!(f.gateways[0].last_ms, 10, "the latest time, not the last");
        assert_eq!(f.dataloggers.len(), 2);
        assert_eq!(
            f.dataloggers[0].model,
            Some("A"),
            "a later message without one keeps it"
        );
        assert_eq!(f.dataloggers[0].last_ms, 10);
        let t1 = &f.sensors[0];
        assert_eq!(
            (t1.value, t1.at_ms, t1.count),
            (2.0, 5, 2),
            "the last reading"
        );
        assert_eq!(t1.points, vec![(10, 1.0), (5, 2.0)]);
        assert_eq!(
            t1.numbered(7).collect::<Vec<_>>(),
            vec![(6, 10, 1.0), (7, 5, 2.0)]
        );
    }

    #[test]
    fn points_beyond_the_ring_are_counted_not_kept() {
        let total = MAX_HISTORY_POINTS + 5;
        let updates: Vec<_> = (0..total)
            .map(|i| readings("d1", "t1", i as i64, i as f64, None))
            .collect();
        let f = fold(&updates);
        let t1 = &f.sensors[0];
        assert_eq!(t1.count, total as i64);
        assert_eq!(t1.points.len(), MAX_HISTORY_POINTS);
        assert_eq!(t1.points[0].1, 5.0);
        let numbers: Vec<_> = t1.numbered(total as i64).map(|(n, _, _)| n).collect();
        assert_eq!(numbers.first(), Some(&6));
        assert_eq!(numbers.last(), Some(&(total as i64)));
    }
}
