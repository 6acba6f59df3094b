//! SQLite connections as every unit opens them: the page cache cap ([`CACHE_KIB`]) on the
//! writer and on readers, on a real file.

use modt_store::sqlite::{open_reader, open_writer, CACHE_KIB};

// The cap is below SQLite's own default (2,000 KiB), or it would cap nothing.
const _: () = assert!(CACHE_KIB < 2000);

fn cache_size(conn: &rusqlite::Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA cache_size", [], |r| r.get(0))
}

#[test]
fn writer_and_readers_cap_their_page_cache() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("unit.sqlite");
    let writer = open_writer(&path, &[], |_| Ok(()))?;
    let reader = open_reader(&path)?;
    // Negative: KiB. SQLite's default (-2000) would mean the cap was not applied.
    assert_eq!(cache_size(&writer)?, -i64::from(CACHE_KIB));
    assert_eq!(cache_size(&reader)?, -i64::from(CACHE_KIB));
    Ok(())
}
