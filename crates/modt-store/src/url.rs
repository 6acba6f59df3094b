//! [`DatabaseUrl`]: the parsed value of `--database-url` / `MODT_DATABASE_URL` and of the
//! per-unit overrides. It owns parsing and masking; where a unit's data then lives is
//! [`location`](crate::location)'s job.
//!
//! Accepted forms:
//! - `sqlite://relative/path` and `sqlite:///absolute/path` (relative to the working directory);
//! - `postgres://…` and `postgresql://…`, anything `tokio_postgres::Config` parses
//!   (`postgres://user:password@host:port/database?sslmode=disable`, `?host=/run/postgresql`).
//!
//! `Display` and `Debug` mask any password, so a URL can be logged.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// Longest URL accepted (a typo'd or pasted blob is refused with a clear error).
pub const MAX_URL_LEN: usize = 4096;

/// Why a database URL was refused. The message names the problem, never the password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UrlError {
    /// Nothing given.
    #[error("the database URL is empty")]
    Empty,
    /// Longer than [`MAX_URL_LEN`].
    #[error("the database URL is {0} bytes long, more than {MAX_URL_LEN}")]
    TooLong(usize),
    /// A scheme other than `sqlite`, `postgres` or `postgresql`.
    #[error(
        "unsupported database URL scheme {0:?}: use sqlite://PATH or postgres://USER@HOST/DATABASE"
    )]
    Scheme(String),
    /// `sqlite://` without a path.
    #[error("sqlite:// needs a path, e.g. sqlite://modt-data or sqlite:///var/lib/modt")]
    SqlitePath,
    /// The PostgreSQL URL does not parse.
    #[error("invalid PostgreSQL URL {url}: {reason}")]
    Postgres {
        /// The URL, password masked.
        url: String,
        /// What the parser said.
        reason: String,
    },
}

/// A parsed database URL.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DatabaseUrl {
    /// A SQLite file, or (as the global URL) a directory of unit files.
    Sqlite(PathBuf),
    /// A PostgreSQL database.
    Postgres(PostgresUrl),
}

/// A PostgreSQL connection URL, validated by `tokio_postgres`. Keeps the original text for
/// connecting and shows it only masked.
#[derive(Clone)]
pub struct PostgresUrl {
    text: String,
    /// Boxed: a `Config` is ~300 bytes, and URLs travel in enums beside small variants.
    config: std::sync::Arc<tokio_postgres::Config>,
}

impl PartialEq for PostgresUrl {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Eq for PostgresUrl {}

impl PostgresUrl {
    /// Parses a `postgres://` or `postgresql://` URL.
    pub fn parse(text: &str) -> Result<PostgresUrl, UrlError> {
        let config = text
            .parse::<tokio_postgres::Config>()
            .map_err(|e| UrlError::Postgres {
                url: mask(text),
                reason: e.to_string(),
            })?;
        Ok(PostgresUrl {
            text: text.to_owned(),
            config: std::sync::Arc::new(config),
        })
    }

    /// The connection settings.
    pub fn config(&self) -> &tokio_postgres::Config {
        &self.config
    }

    /// The URL with its password (for connecting only: never log it).
    pub fn expose(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for PostgresUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&mask(&self.text))
    }
}

impl fmt::Debug for PostgresUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PostgresUrl({self})")
    }
}

impl DatabaseUrl {
    /// Parses `sqlite://…`, `postgres://…` or `postgresql://…`.
    pub fn parse(text: &str) -> Result<DatabaseUrl, UrlError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(UrlError::Empty);
        }
        if text.len() > MAX_URL_LEN {
            return Err(UrlError::TooLong(text.len()));
        }
        let Some((scheme, rest)) = text.split_once("://") else {
            let scheme = text.split_once(':').map_or(text, |(s, _)| s);
            return Err(UrlError::Scheme(scheme.chars().take(32).collect()));
        };
        match scheme.to_ascii_lowercase().as_str() {
            "sqlite" => {
                if rest.is_empty() {
                    return Err(UrlError::SqlitePath);
                }
                Ok(DatabaseUrl::Sqlite(PathBuf::from(rest)))
            }
            "postgres" | "postgresql" => Ok(DatabaseUrl::Postgres(PostgresUrl::parse(text)?)),
            other => Err(UrlError::Scheme(other.chars().take(32).collect())),
        }
    }

    /// A SQLite URL for `path`.
    pub fn sqlite(path: impl AsRef<Path>) -> DatabaseUrl {
        DatabaseUrl::Sqlite(path.as_ref().to_path_buf())
    }

    /// Whether this is a PostgreSQL URL.
    pub fn is_postgres(&self) -> bool {
        matches!(self, DatabaseUrl::Postgres(_))
    }
}

impl FromStr for DatabaseUrl {
    type Err = UrlError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DatabaseUrl::parse(s)
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseUrl::Sqlite(path) => write!(f, "sqlite://{}", path.display()),
            DatabaseUrl::Postgres(url) => url.fmt(f),
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}

/// `text` with the password of its user-info part and any `password=` parameter replaced by
/// `***`. Unparseable text is shown as its scheme only.
pub fn mask(text: &str) -> String {
    let Ok(mut url) = url::Url::parse(text) else {
        let scheme = text.split_once("://").map_or("?", |(s, _)| s);
        return format!("{scheme}://(unparseable URL hidden)");
    };
    if url.password().is_some() {
        let _ = url.set_password(Some("***"));
    }
    if url
        .query_pairs()
        .any(|(k, _)| k.eq_ignore_ascii_case("password"))
    {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| {
                let v = if k.eq_ignore_ascii_case("password") {
                    "***".to_owned()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        url.query_pairs_mut().clear().extend_pairs(pairs);
    }
    url.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_are_relative_or_absolute_paths() {
        assert_eq!(
            DatabaseUrl::parse("sqlite://modt-data/x.db"),
            Ok(DatabaseUrl::sqlite("modt-data/x.db"))
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///var/lib/modt"),
            Ok(DatabaseUrl::sqlite("/var/lib/modt"))
        );
        assert_eq!(DatabaseUrl::parse("sqlite://"), Err(UrlError::SqlitePath));
    }

    #[test]
    fn postgres_urls_parse_and_never_show_their_password() {
        for text in [
            "postgres://modt:s3cret@db.example:5433/modt",
            "postgresql://modt:s3cret@localhost/modt?sslmode=disable",
            "postgres://modt@localhost/modt?password=s3cret",
        ] {
            let url = DatabaseUrl::parse(text).unwrap();
            assert!(url.is_postgres());
            for shown in [url.to_string(), format!("{url:?}")] {
                assert!(!shown.contains("s3cret"), "{shown}");
                assert!(shown.contains("modt"), "{shown}");
            }
        }
        let url = DatabaseUrl::parse("postgres://a:b@h:5433/d").unwrap();
        assert_eq!(url.to_string(), "postgres://a:***@h:5433/d");
    }

    #[test]
    fn bad_urls_say_what_is_wrong() {
        assert_eq!(DatabaseUrl::parse(" "), Err(UrlError::Empty));
        assert_eq!(
            DatabaseUrl::parse("mysql://x"),
            Err(UrlError::Scheme("mysql".into()))
        );
        assert_eq!(
            DatabaseUrl::parse("modt.db"),
            Err(UrlError::Scheme("modt.db".into()))
        );
        let err = DatabaseUrl::parse("postgres://u:s3cret@h:notaport/d").unwrap_err();
        assert!(matches!(err, UrlError::Postgres { .. }), "{err:?}");
        assert!(!err.to_string().contains("s3cret"), "{err}");
        let long = format!("sqlite://{}", "a".repeat(MAX_URL_LEN));
        assert!(matches!(
            DatabaseUrl::parse(&long),
            Err(UrlError::TooLong(_))
        ));
    }
}
