//! The ingest unit's SQLite schema, applied by modt-store's migrations. Never edit an
//! applied migration: add the next. Times are milliseconds since the epoch; booleans 0/1.

use modt_store::Migration;

/// The SQLite migrations, in order.
pub const MIGRATIONS: &[Migration] = &[Migration::new(
    1,
    "ingest",
    "CREATE TABLE connections (
        id TEXT PRIMARY KEY NOT NULL,
        name TEXT NOT NULL,
        host TEXT NOT NULL,
        port INTEGER NOT NULL,
        tls INTEGER NOT NULL,
        username TEXT,
        password TEXT,
        client_id TEXT NOT NULL,
        subscriptions TEXT NOT NULL,
        is_active INTEGER NOT NULL,
        version INTEGER NOT NULL,
        created_ms INTEGER NOT NULL,
        updated_ms INTEGER NOT NULL
    );
    CREATE TABLE connection_log (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        connection_id TEXT NOT NULL,
        state TEXT NOT NULL,
        reason TEXT,
        attempt INTEGER NOT NULL,
        since TEXT NOT NULL,
        next_attempt_at TEXT
    );
    CREATE INDEX connection_log_by_connection ON connection_log (connection_id, seq);
    CREATE TABLE topics (
        connection_id TEXT NOT NULL,
        topic TEXT NOT NULL,
        first_ms INTEGER NOT NULL,
        last_ms INTEGER NOT NULL,
        count INTEGER NOT NULL,
        parsed INTEGER NOT NULL,
        failed INTEGER NOT NULL,
        sample TEXT NOT NULL,
        parser TEXT,
        PRIMARY KEY (connection_id, topic)
    ) WITHOUT ROWID;
    CREATE INDEX topics_by_last_seen ON topics (last_ms);
    CREATE TABLE gateways (
        site TEXT NOT NULL,
        gateway TEXT NOT NULL,
        online INTEGER,
        rssi INTEGER,
        last_ms INTEGER NOT NULL,
        PRIMARY KEY (site, gateway)
    ) WITHOUT ROWID;
    CREATE TABLE dataloggers (
        site TEXT NOT NULL,
        gateway TEXT NOT NULL,
        datalogger TEXT NOT NULL,
        model TEXT,
        firmware TEXT,
        last_ms INTEGER NOT NULL,
        PRIMARY KEY (site, gateway, datalogger)
    ) WITHOUT ROWID;
    CREATE TABLE sensors (
        site TEXT NOT NULL,
        gateway TEXT NOT NULL,
        datalogger TEXT NOT NULL,
        sensor TEXT NOT NULL,
        kind TEXT NOT NULL,
        unit TEXT NOT NULL,
        value REAL NOT NULL,
        at_ms INTEGER NOT NULL,
        points INTEGER NOT NULL,
        PRIMARY KEY (site, gateway, datalogger, sensor)
    ) WITHOUT ROWID;
    CREATE TABLE history (
        site TEXT NOT NULL,
        gateway TEXT NOT NULL,
        datalogger TEXT NOT NULL,
        sensor TEXT NOT NULL,
        slot INTEGER NOT NULL,
        n INTEGER NOT NULL,
        at_ms INTEGER NOT NULL,
        value REAL NOT NULL,
        PRIMARY KEY (site, gateway, datalogger, sensor, slot)
    ) WITHOUT ROWID;
    CREATE TABLE parse_log (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        connection_id TEXT NOT NULL,
        topic TEXT NOT NULL,
        parser TEXT NOT NULL,
        kind TEXT NOT NULL,
        pointer TEXT NOT NULL,
        reason TEXT NOT NULL,
        excerpt TEXT NOT NULL
    );
    CREATE TABLE flags (
        key TEXT PRIMARY KEY NOT NULL
    );",
)];
