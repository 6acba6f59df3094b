//! # modt-store — storage shared by the units
//!
//! Each unit owns its data ("each service owns its data"); this crate owns what they share
//! about keeping it, on SQLite (the default, no setup) or PostgreSQL:
//!
//! - [`url`]: [`DatabaseUrl`], the value of `--database-url` / `MODT_DATABASE_URL` and of the
//!   per-unit overrides, parsed and shown with its password masked.
//! - [`location`]: [`resolve`] — where one unit's data lives ([`Location`]): a SQLite file, or a
//!   schema of a PostgreSQL database.
//! - [`migrate`]: versioned migrations ([`Migration`]) for both backends with one tool (refinery).
//! - [`postgres`]: [`PgPool`], connections confined to the unit's schema, migrated on open.
//! - [`sqlite`]: opening a unit's SQLite file the same way everywhere, migrated on open.
//! - [`unit`]: [`locate`] — the call a unit's `build` makes: its own flag, the program's
//!   [`modt::unit::Setup`], and its file and schema names give its [`Location`].
//!
//! What a unit stores and how it drives its connections stay in the unit's crate.

pub mod location;
pub mod migrate;
pub mod postgres;
pub mod sqlite;
pub mod unit;
pub mod url;

use std::path::PathBuf;

pub use location::{resolve, valid_schema, Location, UnitStorage};
pub use migrate::{migrate_postgres, migrate_sqlite, sqlite_history, Migration, HISTORY_TABLE};
pub use postgres::{PgConnection, PgPool};
pub use unit::{locate, setup_text, UnitData, DATABASE_URL_SETTING};
pub use url::{DatabaseUrl, PostgresUrl, UrlError};

/// What failed while locating, opening or migrating a unit's database. Messages never show a
/// password.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A database URL was refused.
    #[error(transparent)]
    Url(#[from] UrlError),
    /// A unit's schema name is not [`valid_schema`].
    #[error("invalid schema name {0:?}: use 1-63 characters of a-z, 0-9 and _, not starting with a digit or pg_")]
    Schema(String),
    /// A file-system operation failed.
    #[error("{doing} {}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What was being done.
        doing: &'static str,
        /// Why it failed.
        source: std::io::Error,
    },
    /// SQLite failed.
    #[error("SQLite database {}: {doing}: {source}", path.display())]
    Sqlite {
        /// The file.
        path: PathBuf,
        /// What was being done.
        doing: &'static str,
        /// Why it failed.
        source: rusqlite::Error,
    },
    /// PostgreSQL failed.
    #[error("PostgreSQL: {doing}: {message}")]
    Postgres {
        /// What was being done.
        doing: &'static str,
        /// The server's error code and message, or the client's.
        message: String,
    },
    /// No PostgreSQL connection could be had.
    #[error("PostgreSQL: {0}")]
    Pool(String),
    /// A migration failed or does not match what the database recorded.
    #[error("{backend} migration failed: {reason}")]
    Migration {
        /// `SQLite` or `PostgreSQL`.
        backend: &'static str,
        /// What refinery said.
        reason: String,
    },
}
