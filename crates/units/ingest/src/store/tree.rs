//! The device tree from the three ordered scans both backends make (gateways, dataloggers,
//! sensors, each by site, gateway, id).

use modt::protocol::ingest::{Datalogger, DeviceTree, Gateway, Sensor, Site};

/// Rows of the three scans, each in key order.
#[derive(Debug, Default)]
pub(crate) struct Rows {
    pub(crate) gateways: Vec<(String, Gateway)>,
    pub(crate) dataloggers: Vec<(String, String, Datalogger)>,
    pub(crate) sensors: Vec<(String, String, String, Sensor)>,
}

/// Nests the rows: sites → gateways → dataloggers → sensors.
pub(crate) fn assemble(rows: Rows) -> DeviceTree {
    let mut tree = DeviceTree { sites: Vec::new() };
    for (site, gateway) in rows.gateways {
        if tree.sites.last().is_none_or(|s| s.id != site) {
            tree.sites.push(Site {
                id: site,
                gateways: Vec::new(),
            });
        }
        if let Some(s) = tree.sites.last_mut() {
            s.gateways.push(gateway);
        }
    }
    for (site, gateway, logger) in rows.dataloggers {
        if let Some(g) = gateway_mut(&mut tree, &site, &gateway) {
            g.dataloggers.push(logger);
        }
    }
    for (site, gateway, logger, sensor) in rows.sensors {
        if let Some(d) = gateway_mut(&mut tree, &site, &gateway)
            .and_then(|g| g.dataloggers.iter_mut().find(|d| d.id == logger))
        {
            d.sensors.push(sensor);
        }
    }
    tree
}

fn gateway_mut<'a>(tree: &'a mut DeviceTree, site: &str, gateway: &str) -> Option<&'a mut Gateway> {
    tree.sites
        .iter_mut()
        .find(|s| s.id == site)?
        .gateways
        .iter_mut()
        .find(|g| g.id == gateway)
}
