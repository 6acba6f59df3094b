//! Where a unit keeps its data, decided from its own `--NAME-database-url` flag and the
//! program's [`Setup`] (`--database-url` / `MODT_DATABASE_URL`, `--data-dir`): the one call
//! every unit's `build` makes before opening its store.

use modt::unit::{BuildError, Setup};

use crate::{resolve, DatabaseUrl, Location, UnitStorage};

/// The flag and variable of the shared database URL, as errors name them.
pub const DATABASE_URL_SETTING: &str = "--database-url / MODT_DATABASE_URL";

/// What a unit tells [`locate`] about itself.
#[derive(Debug, Clone, Copy)]
pub struct UnitData<'a> {
    /// The unit's name, for errors.
    pub unit: &'a str,
    /// Its own URL flag, e.g. `--state-database-url / MODT_STATE_DATABASE_URL`, for errors.
    pub setting: &'a str,
    /// Its SQLite file name in the data directory.
    pub sqlite_file: &'a str,
    /// Its PostgreSQL schema.
    pub schema: &'a str,
}

/// Where the unit keeps its data: its own URL if given, else the shared one (a schema of its
/// own on PostgreSQL, its own file in a `sqlite://DIR`), else its file in the data directory.
pub fn locate(
    own_url: Option<&DatabaseUrl>,
    setup: &Setup,
    unit: UnitData<'_>,
) -> Result<Location, BuildError> {
    let global = setup
        .database_url
        .as_deref()
        .map(DatabaseUrl::parse)
        .transpose()
        .map_err(|e| BuildError::setting(DATABASE_URL_SETTING, e.to_string()))?;
    resolve(UnitStorage {
        unit_url: own_url,
        global_url: global.as_ref(),
        data_dir: &setup.data_dir,
        sqlite_file: unit.sqlite_file,
        schema: unit.schema,
    })
    .map_err(|e| BuildError::setting(unit.setting, e.to_string()))
}

/// The full text of `url`, password included, to hand on in [`Setup::database_url`]. Never
/// log it: `url`'s own `Display` masks the password.
pub fn setup_text(url: &DatabaseUrl) -> String {
    match url {
        DatabaseUrl::Sqlite(path) => format!("sqlite://{}", path.display()),
        DatabaseUrl::Postgres(url) => url.expose().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATE: UnitData<'static> = UnitData {
        unit: "state",
        setting: "--state-database-url / MODT_STATE_DATABASE_URL",
        sqlite_file: "modt_state.db",
        schema: "modt_state",
    };

    #[test]
    fn setup_text_parses_back() {
        for text in [
            "sqlite:///var/lib/modt",
            "sqlite://rel/dir",
            "postgres://u:pw@db:5433/modt",
        ] {
            let url = DatabaseUrl::parse(text).unwrap();
            assert_eq!(
                DatabaseUrl::parse(&setup_text(&url)).unwrap(),
                url,
                "{text}"
            );
        }
    }

    #[test]
    fn nothing_given_is_the_file_in_the_data_dir() {
        let setup = Setup::new("/data");
        let loc = locate(None, &setup, STATE).unwrap();
        assert_eq!(loc, Location::sqlite("/data/modt_state.db"));
    }

    #[test]
    fn a_shared_postgres_url_gives_the_unit_its_schema() {
        let mut setup = Setup::new("/data");
        setup.database_url = Some("postgres://u:secret@db/modt".into());
        let loc = locate(None, &setup, STATE).unwrap();
        assert!(matches!(loc, Location::Postgres { .. }), "{loc}");
        let shown = loc.to_string();
        assert!(shown.contains("modt_state"), "{shown}");
        assert!(!shown.contains("secret"), "{shown}");
    }

    #[test]
    fn the_units_own_url_wins() {
        let mut setup = Setup::new("/data");
        setup.database_url = Some("postgres://db/modt".into());
        let own = DatabaseUrl::parse("sqlite:///var/state.db").unwrap();
        let loc = locate(Some(&own), &setup, STATE).unwrap();
        assert_eq!(loc, Location::sqlite("/var/state.db"));
    }

    #[test]
    fn a_bad_shared_url_names_the_flag_without_the_password() {
        let mut setup = Setup::new("/data");
        setup.database_url = Some("mysql://u:secret@db/x".into());
        let err = locate(None, &setup, STATE).unwrap_err().to_string();
        assert!(err.contains("--database-url"), "{err}");
        assert!(!err.contains("secret"), "{err}");
    }
}
