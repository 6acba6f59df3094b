//! The device messages the simulator publishes, as docs/ingest.md defines them: a gateway's
//! status and a datalogger's readings, each a struct serialised with serde.

use serde::Serialize;

/// `{site}/gateway/{n}/status`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct GatewayStatus {
    /// RFC 3339, milliseconds, UTC.
    pub(crate) ts: String,
    pub(crate) online: bool,
    /// dBm, −140…0.
    pub(crate) rssi: i32,
    pub(crate) uptime_s: u64,
    pub(crate) firmware: &'static str,
}

/// `{site}/gateway/{n}/datalogger/{serial}`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Readings {
    /// RFC 3339, milliseconds, UTC.
    pub(crate) ts: String,
    pub(crate) model: &'static str,
    pub(crate) firmware: &'static str,
    pub(crate) seq: u64,
    pub(crate) readings: Vec<Reading>,
}

/// One sensor's value in [`Readings`].
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Reading {
    pub(crate) sensor: &'static str,
    pub(crate) kind: &'static str,
    pub(crate) unit: &'static str,
    pub(crate) value: f64,
}

/// `value` rounded to `places` decimals, as a device's firmware would print it.
pub(crate) fn round(value: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (value * f).round() / f
}

/// A timestamp as devices send it: RFC 3339 in UTC with milliseconds.
pub(crate) fn timestamp(at: chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
