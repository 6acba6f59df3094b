//! The room left under a batch's [`Limits`](super::Limits), and what was left out, for both
//! backends: a row already there is always updated; a new one is added only while its table
//! (or tables) hold fewer rows than the limit. The rows are counted once per batch, and only
//! when the batch brings a new one, so the usual batch (every row known) counts nothing.

use std::collections::HashSet;

use super::fold::{DataloggerRow, GatewayRow, SensorRow};
use super::{Applied, DeviceKey};

/// Room under one limit.
#[derive(Debug)]
pub(crate) struct Room {
    limit: u64,
    used: Option<u64>,
}

impl Room {
    /// Room under `limit`, the rows not counted yet.
    pub(crate) fn new(limit: u64) -> Room {
        Room { limit, used: None }
    }

    /// Whether the rows still need counting before [`Room::take`].
    pub(crate) fn uncounted(&self) -> bool {
        self.used.is_none()
    }

    /// The rows there are now.
    pub(crate) fn counted(&mut self, rows: i64) {
        self.used = Some(u64::try_from(rows).unwrap_or(0));
    }

    /// Takes room for one new row: `false` at the limit.
    pub(crate) fn take(&mut self) -> bool {
        let used = self.used.unwrap_or(u64::MAX);
        if used < self.limit {
            self.used = Some(used + 1);
            true
        } else {
            false
        }
    }
}

/// The devices a batch left out, so that their children are left out too.
#[derive(Debug, Default)]
pub(crate) struct LeftOut<'a> {
    gateways: HashSet<(&'a str, &'a str)>,
    dataloggers: HashSet<(&'a str, &'a str, &'a str)>,
}

impl<'a> LeftOut<'a> {
    /// Whether `d`'s gateway was left out.
    pub(crate) fn parent_of_datalogger(&self, d: &DataloggerRow<'a>) -> bool {
        self.gateways.contains(&(d.site, d.gateway))
    }

    /// Whether `s`'s datalogger (or its gateway) was left out.
    pub(crate) fn parent_of_sensor(&self, s: &SensorRow<'a>) -> bool {
        self.dataloggers
            .contains(&(s.site, s.gateway, s.datalogger))
    }

    /// Leaves `g` out.
    pub(crate) fn gateway(&mut self, g: &GatewayRow<'a>, applied: &mut Applied) {
        self.gateways.insert((g.site, g.gateway));
        applied.devices_refused.push(key(g.site, g.gateway, "", ""));
    }

    /// Leaves `d` out.
    pub(crate) fn datalogger(&mut self, d: &DataloggerRow<'a>, applied: &mut Applied) {
        self.dataloggers.insert((d.site, d.gateway, d.datalogger));
        applied
            .devices_refused
            .push(key(d.site, d.gateway, d.datalogger, ""));
    }

    /// Leaves `s` out.
    pub(crate) fn sensor(&mut self, s: &SensorRow<'a>, applied: &mut Applied) {
        applied
            .devices_refused
            .push(key(s.site, s.gateway, s.datalogger, s.sensor));
    }
}

fn key(site: &str, gateway: &str, datalogger: &str, sensor: &str) -> DeviceKey {
    DeviceKey {
        site: site.to_owned(),
        gateway: gateway.to_owned(),
        datalogger: datalogger.to_owned(),
        sensor: sensor.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_is_taken_up_to_the_limit() {
        let mut room = Room::new(3);
        assert!(room.uncounted());
        room.counted(1);
        assert!(room.take());
        assert!(room.take());
        assert!(!room.take(), "the third row would be the fourth");
        let mut full = Room::new(2);
        full.counted(5);
        assert!(!full.take(), "already over (a lowered limit) stays closed");
    }
}
