//! The SQLite side shared by the units: opening a unit's file the same way everywhere
//! (owner-only, WAL, `synchronous=FULL`, a busy timeout) and applying its migrations. Each
//! unit keeps its own way of driving the connection (the state unit's writer thread, …).
//! Every connection's page cache is capped at [`CACHE_KIB`] (docs/footprint.md).

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::migrate::{migrate_sqlite, Migration};
use crate::Error;

/// How long a statement waits for another connection's lock before failing.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The most page cache one connection keeps, in KiB (SQLite's default is 2,000 KiB). A
/// connection fills its cache during a burst and holds it afterwards (the C library's heap
/// does not give the freed pages back at once), so this bounds what a unit keeps after a
/// load: the state unit's writer held ~2.4 MB after 20,000 sets with the default. Pages that
/// do not fit are read again from the operating system's file cache; a commit's cost is its
/// fsync (docs/footprint.md has the before/after figures).
pub const CACHE_KIB: u32 = 1024;

/// `PRAGMA cache_size` takes a negative number for KiB.
fn cap_cache(conn: &Connection) -> rusqlite::Result<()> {
    conn.pragma_update(None, "cache_size", -i64::from(CACHE_KIB))
}

fn sqlite_error<'a>(
    path: &'a Path,
    doing: &'static str,
) -> impl FnOnce(rusqlite::Error) -> Error + 'a {
    move |source| Error::Sqlite {
        path: path.to_path_buf(),
        doing,
        source,
    }
}

/// Opens (creating if needed, owner-only) the database file at `path` for writing: WAL, and
/// `synchronous=FULL` so a commit is on disk before it returns. Runs `before_migrations`
/// (a unit's adoption of files written before migrations existed; may be a no-op), then
/// applies `migrations`. Blocking.
pub fn open_writer(
    path: &Path,
    migrations: &[Migration],
    before_migrations: impl FnOnce(&Connection) -> rusqlite::Result<()>,
) -> Result<Connection, Error> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| Error::Io {
            path: dir.to_path_buf(),
            doing: "creating the directory",
            source,
        })?;
    }
    // Owner-only before SQLite opens it: its -wal and -shm files take the same mode.
    modt::files::private_file(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        doing: "creating the file",
        source,
    })?;
    let mut conn = Connection::open(path).map_err(sqlite_error(path, "opening"))?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .and_then(|()| conn.pragma_update(None, "journal_mode", "WAL"))
        // FULL: a commit is on disk (WAL fsynced) before its acks go out.
        .and_then(|()| conn.pragma_update(None, "synchronous", "FULL"))
        .and_then(|()| cap_cache(&conn))
        .map_err(sqlite_error(path, "setting up"))?;
    before_migrations(&conn).map_err(sqlite_error(path, "preparing the migrations"))?;
    let applied = migrate_sqlite(&mut conn, migrations)?;
    if !applied.is_empty() {
        tracing::info!(path = %path.display(), ?applied, "migrations applied");
    }
    Ok(conn)
}

/// Opens a read-only connection to `path` (WAL lets it read beside the writer). Blocking.
pub fn open_reader(path: &Path) -> Result<Connection, Error> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(sqlite_error(path, "opening for reading"))?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .and_then(|()| cap_cache(&conn))
        .map_err(sqlite_error(path, "setting up"))?;
    Ok(conn)
}
