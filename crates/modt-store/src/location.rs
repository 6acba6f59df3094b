//! Where a unit's data lives: [`resolve`] turns the unit's own URL option, the global one, the
//! data directory and the unit's defaults into a [`Location`]. It decides; it opens nothing.
//!
//! | given | the unit's data |
//! |---|---|
//! | a per-unit URL (e.g. `--state-database-url`) | exactly there: a SQLite file, or that PostgreSQL database (in the unit's schema) |
//! | a global `sqlite://DIR` (`--database-url`) | the unit's default file inside `DIR` |
//! | a global `postgres://…` | that database, shared, each unit in its own schema (`modt_state`, …) |
//! | nothing | the unit's default file in the data directory, as before these options existed |

use std::fmt;
use std::path::{Path, PathBuf};

use crate::url::{DatabaseUrl, PostgresUrl};

/// Longest schema name PostgreSQL keeps (`NAMEDATALEN - 1`).
pub const MAX_SCHEMA_LEN: usize = 63;

/// Where one unit keeps its data.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Location {
    /// A SQLite database file.
    Sqlite {
        /// The file.
        path: PathBuf,
    },
    /// A schema of a PostgreSQL database.
    Postgres {
        /// The database.
        url: PostgresUrl,
        /// The unit's schema (a [`valid_schema`] name).
        schema: String,
    },
}

impl Location {
    /// A SQLite file.
    pub fn sqlite(path: impl Into<PathBuf>) -> Location {
        Location::Sqlite { path: path.into() }
    }

    /// A schema of a PostgreSQL database; refuses a schema name that is not [`valid_schema`].
    pub fn postgres(url: PostgresUrl, schema: &str) -> Result<Location, crate::Error> {
        if !valid_schema(schema) {
            return Err(crate::Error::Schema(schema.to_owned()));
        }
        Ok(Location::Postgres {
            url,
            schema: schema.to_owned(),
        })
    }

    /// `"SQLite"` or `"PostgreSQL"`, for logs and reports.
    pub fn backend(&self) -> &'static str {
        match self {
            Location::Sqlite { .. } => "SQLite",
            Location::Postgres { .. } => "PostgreSQL",
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Sqlite { path } => write!(f, "sqlite://{}", path.display()),
            Location::Postgres { url, schema } => write!(f, "{url} (schema {schema})"),
        }
    }
}

impl fmt::Debug for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Location({self})")
    }
}

/// What [`resolve`] needs to know about one unit.
#[derive(Debug, Clone, Copy)]
pub struct UnitStorage<'a> {
    /// The unit's own URL option (e.g. `--state-database-url`), if given.
    pub unit_url: Option<&'a DatabaseUrl>,
    /// The global `--database-url` / `MODT_DATABASE_URL`, if given.
    pub global_url: Option<&'a DatabaseUrl>,
    /// The data directory (`--data-dir` / `MODT_DATA_DIR`).
    pub data_dir: &'a Path,
    /// The unit's SQLite file name (e.g. `modt_state.db`).
    pub sqlite_file: &'a str,
    /// The unit's PostgreSQL schema (e.g. `modt_state`).
    pub schema: &'a str,
}

/// Where the unit described by `unit` keeps its data (see the module's table). Fails only on
/// a schema name that is not [`valid_schema`] (a programming error of the unit).
pub fn resolve(unit: UnitStorage<'_>) -> Result<Location, crate::Error> {
    match (unit.unit_url, unit.global_url) {
        (Some(DatabaseUrl::Sqlite(path)), _) => Ok(Location::sqlite(path)),
        (Some(DatabaseUrl::Postgres(url)), _) | (None, Some(DatabaseUrl::Postgres(url))) => {
            Location::postgres(url.clone(), unit.schema)
        }
        (None, Some(DatabaseUrl::Sqlite(dir))) => Ok(Location::sqlite(dir.join(unit.sqlite_file))),
        (None, None) => Ok(Location::sqlite(unit.data_dir.join(unit.sqlite_file))),
    }
}

/// Whether `name` can be a unit's schema: 1–[`MAX_SCHEMA_LEN`] characters of `a-z`, `0-9`
/// and `_`, not starting with a digit and not `pg_`-prefixed (PostgreSQL reserves those).
pub fn valid_schema(name: &str) -> bool {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_');
    first_ok
        && name.len() <= MAX_SCHEMA_LEN
        && !name.starts_with("pg_")
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state<'a>(
        unit_url: Option<&'a DatabaseUrl>,
        global_url: Option<&'a DatabaseUrl>,
    ) -> UnitStorage<'a> {
        UnitStorage {
            unit_url,
            global_url,
            data_dir: Path::new("modt-data"),
            sqlite_file: "modt_state.db",
            schema: "modt_state",
        }
    }

    #[test]
    fn nothing_given_is_the_default_file_in_the_data_dir() {
        assert_eq!(
            resolve(state(None, None)).unwrap(),
            Location::sqlite("modt-data/modt_state.db")
        );
    }

    #[test]
    fn a_global_sqlite_url_is_a_directory_of_unit_files() {
        let global = DatabaseUrl::parse("sqlite:///srv/modt").unwrap();
        assert_eq!(
            resolve(state(None, Some(&global))).unwrap(),
            Location::sqlite("/srv/modt/modt_state.db")
        );
    }

    #[test]
    fn a_global_postgres_url_gives_each_unit_its_schema() {
        let global = DatabaseUrl::parse("postgres://u:pw@h/modt").unwrap();
        let at = resolve(state(None, Some(&global))).unwrap();
        assert!(matches!(&at, Location::Postgres { schema, .. } if schema == "modt_state"));
        assert_eq!(
            at.to_string(),
            "postgres://u:***@h/modt (schema modt_state)"
        );
    }

    #[test]
    fn a_unit_url_wins_and_is_used_as_given() {
        let global = DatabaseUrl::parse("postgres://h/modt").unwrap();
        let own = DatabaseUrl::parse("sqlite://state.db").unwrap();
        assert_eq!(
            resolve(state(Some(&own), Some(&global))).unwrap(),
            Location::sqlite("state.db")
        );
        let own = DatabaseUrl::parse("postgres://other/db").unwrap();
        let global = DatabaseUrl::parse("sqlite://dir").unwrap();
        let at = resolve(state(Some(&own), Some(&global))).unwrap();
        assert!(
            matches!(at, Location::Postgres { url, .. } if url.expose() == "postgres://other/db")
        );
    }

    #[test]
    fn schema_names_are_checked() {
        for ok in ["modt_state", "_x", "a1"] {
            assert!(valid_schema(ok), "{ok}");
        }
        for bad in ["", "1a", "Modt", "a-b", "a;drop", "pg_x", &"a".repeat(64)] {
            assert!(!valid_schema(bad), "{bad}");
        }
    }
}
