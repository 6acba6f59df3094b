//! Files that hold users' data or secrets (SQLite databases with password hashes and
//! per-user values, generated credentials): readable by their owner only.
//!
//! [`private_dir`] makes the data directory `0700`; [`private_file`] makes a database file
//! `0600` before SQLite opens it. SQLite creates a database's `-wal` and `-shm` files with
//! the database file's own permissions, so they follow; existing ones are tightened too.
//! On systems without Unix permissions both only create what is missing.

use std::io;
use std::path::Path;

/// Owner-only permissions of a private directory.
pub const DIR_MODE: u32 = 0o700;
/// Owner-only permissions of a private file.
pub const FILE_MODE: u32 = 0o600;

/// Creates `dir` (and its parents) if missing and makes it `0700`.
///
/// ```
/// let tmp = tempfile::tempdir()?;
/// let data = tmp.path().join("modt-data");
/// modt::files::private_dir(&data)?;
/// # #[cfg(unix)] {
/// use std::os::unix::fs::PermissionsExt as _;
/// assert_eq!(std::fs::metadata(&data)?.permissions().mode() & 0o777, 0o700);
/// # }
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn private_dir(dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    restrict(dir, DIR_MODE)
}

/// Creates the database file `path` if missing, and makes it and its SQLite companions
/// (`-wal`, `-shm`, `-journal`) `0600`.
pub fn private_file(path: &Path) -> io::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let mut open = std::fs::OpenOptions::new();
    open.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut open, FILE_MODE);
    open.open(path)?;
    restrict(path, FILE_MODE)?;
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut companion = path.as_os_str().to_owned();
        companion.push(suffix);
        let companion = Path::new(&companion);
        if companion.exists() {
            restrict(companion, FILE_MODE)?;
        }
    }
    Ok(())
}

#[cfg(unix)]
fn restrict(path: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn restrict(_path: &Path, _mode: u32) -> io::Result<()> {
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn tightens_what_exists_and_creates_what_is_missing() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("data");
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        private_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);

        let db = dir.join("modt_state.db");
        let wal = dir.join("modt_state.db-wal");
        std::fs::write(&wal, b"").unwrap();
        std::fs::set_permissions(&wal, std::fs::Permissions::from_mode(0o644)).unwrap();
        private_file(&db).unwrap();
        assert_eq!(mode(&db), 0o600);
        assert_eq!(mode(&wal), 0o600);
        assert!(!dir.join("modt_state.db-shm").exists(), "nothing invented");

        // An existing file keeps its content.
        std::fs::write(&db, b"x").unwrap();
        private_file(&db).unwrap();
        assert_eq!(std::fs::read(&db).unwrap(), b"x");
    }
}
