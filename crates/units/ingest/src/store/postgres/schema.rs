//! The ingest unit's PostgreSQL schema (`modt_ingest` by default): the same tables as on
//! SQLite. Text sorts bytewise (`COLLATE "C"`), as SQLite sorts it. Never edit an applied
//! migration: add the next.

use modt_store::Migration;

/// The PostgreSQL migrations, in order.
pub const MIGRATIONS: &[Migration] = &[Migration::new(
    1,
    "ingest",
    r#"CREATE TABLE connections (
        id TEXT COLLATE "C" PRIMARY KEY,
        name TEXT COLLATE "C" NOT NULL,
        host TEXT NOT NULL,
        port INTEGER NOT NULL,
        tls BOOLEAN NOT NULL,
        username TEXT,
        password TEXT,
        client_id TEXT NOT NULL,
        subscriptions TEXT NOT NULL,
        is_active BOOLEAN NOT NULL,
        version BIGINT NOT NULL,
        created_ms BIGINT NOT NULL,
        updated_ms BIGINT NOT NULL
    );
    CREATE TABLE connection_log (
        seq BIGSERIAL PRIMARY KEY,
        connection_id TEXT NOT NULL,
        state TEXT NOT NULL,
        reason TEXT,
        attempt BIGINT NOT NULL,
        since TEXT NOT NULL,
        next_attempt_at TEXT
    );
    CREATE INDEX connection_log_by_connection ON connection_log (connection_id, seq);
    CREATE TABLE topics (
        connection_id TEXT COLLATE "C" NOT NULL,
        topic TEXT COLLATE "C" NOT NULL,
        first_ms BIGINT NOT NULL,
        last_ms BIGINT NOT NULL,
        count BIGINT NOT NULL,
        parsed BIGINT NOT NULL,
        failed BIGINT NOT NULL,
        sample TEXT NOT NULL,
        parser TEXT,
        PRIMARY KEY (connection_id, topic)
    );
    CREATE INDEX topics_by_last_seen ON topics (last_ms);
    CREATE TABLE gateways (
        site TEXT COLLATE "C" NOT NULL,
        gateway TEXT COLLATE "C" NOT NULL,
        online BOOLEAN,
        rssi INTEGER,
        last_ms BIGINT NOT NULL,
        PRIMARY KEY (site, gateway)
    );
    CREATE TABLE dataloggers (
        site TEXT COLLATE "C" NOT NULL,
        gateway TEXT COLLATE "C" NOT NULL,
        datalogger TEXT COLLATE "C" NOT NULL,
        model TEXT,
        firmware TEXT,
        last_ms BIGINT NOT NULL,
        PRIMARY KEY (site, gateway, datalogger)
    );
    CREATE TABLE sensors (
        site TEXT COLLATE "C" NOT NULL,
        gateway TEXT COLLATE "C" NOT NULL,
        datalogger TEXT COLLATE "C" NOT NULL,
        sensor TEXT COLLATE "C" NOT NULL,
        kind TEXT NOT NULL,
        unit TEXT NOT NULL,
        value DOUBLE PRECISION NOT NULL,
        at_ms BIGINT NOT NULL,
        points BIGINT NOT NULL,
        PRIMARY KEY (site, gateway, datalogger, sensor)
    );
    CREATE TABLE history (
        site TEXT COLLATE "C" NOT NULL,
        gateway TEXT COLLATE "C" NOT NULL,
        datalogger TEXT COLLATE "C" NOT NULL,
        sensor TEXT COLLATE "C" NOT NULL,
        slot BIGINT NOT NULL,
        n BIGINT NOT NULL,
        at_ms BIGINT NOT NULL,
        value DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (site, gateway, datalogger, sensor, slot)
    );
    CREATE TABLE parse_log (
        seq BIGSERIAL PRIMARY KEY,
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
        key TEXT PRIMARY KEY
    );"#,
)];
