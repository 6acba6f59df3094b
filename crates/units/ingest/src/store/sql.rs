//! Queries both backends run as written (no parameters, or `$n` in order of first use,
//! which SQLite binds by position too).

/// The gateways, in key order.
pub(crate) const GATEWAYS_SQL: &str =
    "SELECT site, gateway, online, rssi, last_ms FROM gateways ORDER BY site, gateway";

/// The dataloggers, in key order.
pub(crate) const DATALOGGERS_SQL: &str =
    "SELECT site, gateway, datalogger, model, firmware, last_ms
     FROM dataloggers ORDER BY site, gateway, datalogger";

/// The sensors with their latest values, in key order.
pub(crate) const SENSORS_SQL: &str =
    "SELECT site, gateway, datalogger, sensor, kind, unit, value, at_ms
     FROM sensors ORDER BY site, gateway, datalogger, sensor";

/// A connection's columns, in the order both backends decode them.
pub(crate) const CONNECTION_COLUMNS: &str =
    "id, name, host, port, tls, username, password, client_id,
    subscriptions, is_active, version, created_ms, updated_ms";

/// One sensor's unit (does it exist).
pub(crate) const SENSOR_UNIT_SQL: &str =
    "SELECT unit FROM sensors WHERE site = $1 AND gateway = $2 AND datalogger = $3 AND sensor = $4";

/// One sensor's history ring, oldest first.
pub(crate) const HISTORY_SQL: &str = "SELECT at_ms, value FROM history
     WHERE site = $1 AND gateway = $2 AND datalogger = $3 AND sensor = $4 ORDER BY n";

/// A connection's log, newest first.
pub(crate) const LOG_SQL: &str =
    "SELECT connection_id, state, reason, attempt, since, next_attempt_at
     FROM connection_log WHERE connection_id = $1 ORDER BY seq DESC LIMIT $2";
